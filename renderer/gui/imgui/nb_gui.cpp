// nb_gui.cpp - the Dear ImGui panels of nnbundle-render (the project's one C++ file).
//
// DESIGN: a thin view. Each frame the panels are rebuilt from an nb_gui_state (nb_gui_state.h):
// the Rendering and Processing panels are generated from the config schema tables
// (nb_rendering_schema / nb_processing_schema: one widget per key, chosen by
// nb_gui_form_widget), so no key can be forgotten; every edit goes through nb_gui_form_set_*
// (the CLI's --set validation) and errors are drawn next to the field. Buttons only set
// request bits in st->requests; the C controller acts on them after the frame. Images
// (thumbnails, weights, the activation input) are nb_gui_image RGBA8 buffers uploaded to GL
// textures when their generation changes. Layout (nb_gui_layout.h): a sidebar docked to the
// right edge holds Rendering, Node, Statistics and Processing as tabs, with the Panels and
// Help menus in its menu bar; Activations and Layers float at the bottom of the free area.
// Every panel window records its rectangle each frame; the next frame's events are routed
// with them (nb_gui_input.h: a press over a panel belongs to Dear ImGui until its release, a
// press elsewhere to the scene), and the app centres the scene in the area they leave free.
// Mouse position and buttons are tracked from SDL events and written into ImGuiIO after the
// SDL backend's NewFrame, because the 1.86 backend polls SDL_GetMouseState, which synthetic
// events (tests, scripted screenshots) do not move; a press released before the next frame
// is still seen as a press for one frame (as the 1.86 SDL backend does).
// Reference for the panel set: method.md §5.8 (the Tk "NNVIS Options" window).
// Threading: GUI thread only (owns the GL context). Config keys read: all rendering and
// processing keys, through the forms.
#include "nb_gui.h"

extern "C" {
#include "nb_gui_layout.h"
}

#include <GL/gl.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <vector>

#include <backends/imgui_impl_opengl3.h>
#include <backends/imgui_impl_sdl.h>
#include <imgui.h>

namespace {

struct texture_slot {
    const nb_gui_image *image;
    GLuint texture;
    unsigned generation;
    size_t width, height;
};

} // namespace

struct nb_gui {
    SDL_Window *window;
    ImGuiContext *context;
    std::vector<texture_slot> textures;
    nb_gui_capture capture;     // who holds the mouse, pointer position (from events)
    nb_gui_input_panels panels; // the panel rectangles of the last frame
    bool mouse_down[3];         // buttons held by Dear ImGui
    bool mouse_pressed[3];      // pressed since the last NewFrame (a click within one frame)
    bool sdl_ready, gl_ready;
};

namespace {

const ImVec4 k_error_colour(0.85f, 0.15f, 0.1f, 1.0f);
const ImVec4 k_dim_colour(0.45f, 0.45f, 0.45f, 1.0f);

// The GL texture showing `img` (uploaded if new or changed), 0 if the image is empty.
GLuint texture_of(nb_gui *g, const nb_gui_image *img) {
    if (!img->rgba || img->width == 0 || img->height == 0)
        return 0;
    texture_slot *slot = nullptr;
    for (auto &s : g->textures)
        if (s.image == img)
            slot = &s;
    if (!slot) {
        g->textures.push_back(texture_slot{img, 0, 0, 0, 0});
        slot = &g->textures.back();
    }
    if (slot->texture != 0 && slot->generation == img->generation)
        return slot->texture;
    GLint old_texture = 0, old_align = 0;
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &old_texture);
    glGetIntegerv(GL_UNPACK_ALIGNMENT, &old_align);
    if (slot->texture == 0)
        glGenTextures(1, &slot->texture);
    glBindTexture(GL_TEXTURE_2D, slot->texture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, (GLsizei)img->width, (GLsizei)img->height, 0, GL_RGBA,
                 GL_UNSIGNED_BYTE, img->rgba);
    glPixelStorei(GL_UNPACK_ALIGNMENT, old_align);
    glBindTexture(GL_TEXTURE_2D, (GLuint)old_texture);
    slot->generation = img->generation;
    slot->width = img->width;
    slot->height = img->height;
    return slot->texture;
}

void image_widget(nb_gui *g, const nb_gui_image *img, float size) {
    GLuint tex = texture_of(g, img);
    if (!tex) {
        ImGui::Dummy(ImVec2(size, size));
        return;
    }
    float aspect = (float)img->width / (float)img->height;
    ImVec2 sz = aspect >= 1.0f ? ImVec2(size, size / aspect) : ImVec2(size * aspect, size);
    ImGui::Image((ImTextureID)(intptr_t)tex, sz);
}

void tooltip_for_key(const nb_config_key *k) {
    if (!ImGui::IsItemHovered())
        return;
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
    ImGui::TextUnformatted(k->name);
    if (k->doc)
        ImGui::TextUnformatted(k->doc);
    if (k->unit && k->unit[0])
        ImGui::TextDisabled("unit: %s", k->unit);
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
}

// One widget for key i of a form; returns true if the user changed it this frame.
bool form_widget(nb_gui_form *f, size_t i, const char *label, int int_max_override,
                 float rect_out[4]) {
    const nb_config_key *k = &f->schema->keys[i];
    nb_gui_form_field *fd = &f->field[i];
    char id[160];
    std::snprintf(id, sizeof id, "%s##%s", label, k->name);
    bool changed = false;
    float frame_width = ImGui::CalcItemWidth(); // the widget's frame, label excluded
    switch (nb_gui_form_widget(f, i)) {
    case NB_GUI_WIDGET_SLIDER: {
        double lo, hi, v = fd->value[0];
        bool logarithmic;
        nb_gui_form_slider_range(k, &lo, &hi, &logarithmic);
        ImGuiSliderFlags flags = ImGuiSliderFlags_AlwaysClamp;
        if (logarithmic)
            flags |= ImGuiSliderFlags_Logarithmic;
        if (ImGui::SliderScalar(id, ImGuiDataType_Double, &v, &lo, &hi, "%.4g", flags)) {
            nb_gui_form_set_number(f, i, v);
            changed = true;
        }
        break;
    }
    case NB_GUI_WIDGET_INT_SLIDER: {
        int lo = (int)k->min, hi = (int)k->max;
        if (int_max_override >= lo && int_max_override < hi)
            hi = int_max_override;
        int v = (int)fd->value[0];
        if (ImGui::SliderScalar(id, ImGuiDataType_S32, &v, &lo, &hi, "%d",
                                ImGuiSliderFlags_AlwaysClamp)) {
            nb_gui_form_set_number(f, i, (double)v);
            changed = true;
        }
        break;
    }
    case NB_GUI_WIDGET_INPUT: {
        double v = fd->value[0];
        if (ImGui::InputScalar(id, ImGuiDataType_Double, &v, nullptr, nullptr, "%.6g")) {
            nb_gui_form_set_number(f, i, v);
            changed = true;
        }
        break;
    }
    case NB_GUI_WIDGET_INT_INPUT: {
        double shown = fd->value[0];
        long long v = (long long)shown;
        if (ImGui::InputScalar(id, ImGuiDataType_S64, &v)) {
            nb_gui_form_set_number(f, i, (double)v);
            changed = true;
        }
        break;
    }
    case NB_GUI_WIDGET_CHECKBOX: {
        bool v = fd->value[0] != 0.0;
        if (ImGui::Checkbox(id, &v)) {
            nb_gui_form_set_number(f, i, v ? 1.0 : 0.0);
            changed = true;
        }
        break;
    }
    case NB_GUI_WIDGET_COMBO: {
        int n = (int)nb_config_key_enum_count(k);
        int v = (int)fd->value[0];
        const char *preview = v >= 0 && v < n ? nb_config_key_enum_name(k, v) : "?";
        if (ImGui::BeginCombo(id, preview)) {
            for (int e = 0; e < n; e++) {
                bool selected = e == v;
                if (ImGui::Selectable(nb_config_key_enum_name(k, e), selected) && e != v) {
                    nb_gui_form_set_number(f, i, (double)e);
                    changed = true;
                }
                if (selected)
                    ImGui::SetItemDefaultFocus();
            }
            ImGui::EndCombo();
        }
        break;
    }
    case NB_GUI_WIDGET_COLOR: {
        float c[3] = {(float)fd->value[0], (float)fd->value[1], (float)fd->value[2]};
        if (ImGui::ColorEdit3(id, c)) {
            double d[3] = {c[0], c[1], c[2]};
            nb_gui_form_set_color(f, i, d);
            changed = true;
        }
        break;
    }
    case NB_GUI_WIDGET_TEXT: {
        char buf[NB_GUI_FORM_TEXT_MAX];
        std::snprintf(buf, sizeof buf, "%s", fd->text);
        if (ImGui::InputText(id, buf, sizeof buf)) {
            nb_gui_form_set_text(f, i, buf);
            changed = true;
        }
        break;
    }
    }
    if (rect_out) {
        ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        rect_out[0] = a.x;
        rect_out[1] = a.y;
        rect_out[2] = a.x + frame_width < b.x ? a.x + frame_width : b.x;
        rect_out[3] = b.y;
    }
    tooltip_for_key(k);
    if (fd->error[0]) {
        ImGui::PushStyleColor(ImGuiCol_Text, k_error_colour);
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextUnformatted(fd->error);
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
    }
    return changed;
}

// The keys of a form grouped by section ("edge", "node", then the rest), in table order.
void form_sections(nb_gui_form *f, const char *const *sections, const char *const *titles,
                   size_t n_sections, int class_max, float (*rects)[4]) {
    for (size_t s = 0; s < n_sections; s++) {
        if (!ImGui::CollapsingHeader(titles[s], ImGuiTreeNodeFlags_DefaultOpen))
            continue;
        ImGui::PushID((int)s);
        for (size_t i = 0; i < f->schema->n_keys; i++) {
            char section[32], label[96];
            nb_gui_form_split_name(f->schema->keys[i].name, section, sizeof section, label,
                                   sizeof label);
            if (std::strcmp(section, sections[s]) != 0)
                continue;
            bool is_class = std::strcmp(f->schema->keys[i].name, "class_index") == 0;
            form_widget(f, i, s + 1 < n_sections || section[0] ? label : f->schema->keys[i].name,
                        is_class ? class_max : -1, rects ? rects[i] : nullptr);
        }
        ImGui::PopID();
    }
}

void place(float x, float y, float w, float h) {
    ImGui::SetNextWindowPos(ImVec2(x, y), ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(ImVec2(w, h), ImGuiCond_FirstUseEver);
}

// Records the current window's rectangle for the next frame's event routing and the free
// area (pad: hover margin of resizable windows, as Dear ImGui's WINDOWS_HOVER_PADDING).
void record_panel(nb_gui *g, float pad) {
    nb_gui_input_panels *p = &g->panels;
    if (p->n_rects >= NB_GUI_INPUT_MAX_RECTS)
        return;
    ImVec2 a = ImGui::GetWindowPos(), sz = ImGui::GetWindowSize();
    float *r = p->rect[p->n_rects];
    r[0] = a.x;
    r[1] = a.y;
    r[2] = a.x + sz.x;
    r[3] = a.y + sz.y;
    p->pad[p->n_rects] = pad;
    p->n_rects++;
}

const float k_hover_pad = 4.0f;

const char *class_name(const nb_gui_state *st, size_t c) {
    return st->class_names && c < st->n_classes && st->class_names[c] ? st->class_names[c] : "?";
}

ImU32 class_colour(const nb_gui_state *st, size_t c) {
    if (!st->class_color || c >= st->n_classes)
        return IM_COL32(128, 128, 128, 255);
    return ImGui::ColorConvertFloat4ToU32(
        ImVec4(st->class_color[c][0], st->class_color[c][1], st->class_color[c][2], 1.0f));
}

// Vertical bars, one per class in its colour, values in [0, 1] on a fixed scale (the Layers
// table's small charts); the values are listed in a tooltip.
void bar_chart(const nb_gui_state *st, const float *v, size_t n, float width, float height) {
    ImVec2 p0 = ImGui::GetCursorScreenPos();
    float bar_w = n ? width / (float)n : width;
    ImDrawList *dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(p0, ImVec2(p0.x + width, p0.y + height), IM_COL32(235, 235, 235, 255));
    for (size_t c = 0; c < n; c++) {
        float f = v[c] < 0.0f ? 0.0f : v[c] > 1.0f ? 1.0f : v[c];
        float x0 = p0.x + bar_w * (float)c;
        dl->AddRectFilled(ImVec2(x0 + 1.0f, p0.y + height * (1.0f - f)),
                          ImVec2(x0 + bar_w - 1.0f, p0.y + height), class_colour(st, c));
    }
    ImGui::Dummy(ImVec2(width, height));
    if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        for (size_t c = 0; c < n; c++)
            ImGui::Text("%-12s %.4f", class_name(st, c), (double)v[c]);
        ImGui::EndTooltip();
    }
}

// `text` cut to fit `width` pixels ("..." at the end when cut).
void fit_text(const char *text, float width, char *out, size_t size) {
    std::snprintf(out, size, "%s", text);
    size_t n = std::strlen(out);
    if (ImGui::CalcTextSize(out).x <= width)
        return;
    while (n > 0) {
        n--;
        if (n + 4 > size)
            continue;
        std::memcpy(out + n, "...", 4);
        if (ImGui::CalcTextSize(out).x <= width)
            return;
    }
    out[0] = '\0';
}

// One labelled row per class: "index name", a bar in the class colour on the 0..1 scale
// drawn above the rows (ticks 0, 0.5, 1 with faint grid lines), and the value. More than 12
// classes scroll in a box 12 rows high.
void class_bars(const nb_gui_state *st, const char *id, const float *v, size_t n) {
    if (n == 0)
        return;
    const float width = ImGui::GetContentRegionAvail().x;
    const float row_h = ImGui::GetTextLineHeight() + 2.0f;
    const float gap = 6.0f;
    const float value_w = ImGui::CalcTextSize("0.000").x;
    const float label_w = std::fmin(ImGui::CalcTextSize("0 T-shirt/top").x, 0.4f * width);
    const float bar_x = label_w + gap, bar_w = width - label_w - value_w - 2.0f * gap;
    if (bar_w < 8.0f)
        return;
    const ImU32 dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    ImDrawList *dl = ImGui::GetWindowDrawList();
    // the value scale
    ImVec2 p = ImGui::GetCursorScreenPos();
    static const float ticks[3] = {0.0f, 0.5f, 1.0f};
    static const char *const tick_text[3] = {"0", "0.5", "1"};
    for (int t = 0; t < 3; t++) {
        float tw = ImGui::CalcTextSize(tick_text[t]).x;
        float x = p.x + bar_x + ticks[t] * bar_w - (t == 0 ? 0.0f : t == 1 ? 0.5f * tw : tw);
        dl->AddText(ImVec2(x, p.y), dim, tick_text[t]);
    }
    ImGui::Dummy(ImVec2(width, row_h));
    const size_t max_rows = 12;
    bool scroll = n > max_rows;
    if (scroll)
        ImGui::BeginChild(id, ImVec2(width, row_h * (float)max_rows + 2.0f), false);
    dl = ImGui::GetWindowDrawList();
    for (size_t c = 0; c < n; c++) {
        ImGui::PushID((int)c);
        ImVec2 q = ImGui::GetCursorScreenPos();
        char label[NB_NAME_MAX + 32], shown[NB_NAME_MAX + 32];
        nb_gui_inspect_class_label((const char *const *)st->class_names, st->n_classes, c, label,
                                   sizeof label);
        fit_text(label, label_w, shown, sizeof shown);
        dl->AddText(q, ImGui::GetColorU32(ImGuiCol_Text), shown);
        float x0 = q.x + bar_x, x1 = x0 + bar_w, y0 = q.y + 1.0f, y1 = q.y + row_h - 1.0f;
        dl->AddRectFilled(ImVec2(x0, y0), ImVec2(x1, y1), IM_COL32(232, 232, 232, 255));
        float f = v[c] < 0.0f ? 0.0f : v[c] > 1.0f ? 1.0f : v[c];
        if (std::isnan(v[c]))
            f = 0.0f;
        dl->AddRectFilled(ImVec2(x0, y0), ImVec2(x0 + f * bar_w, y1), class_colour(st, c));
        dl->AddLine(ImVec2(x0 + 0.5f * bar_w, y0), ImVec2(x0 + 0.5f * bar_w, y1),
                    IM_COL32(255, 255, 255, 160));
        char value[32];
        std::snprintf(value, sizeof value, "%.3f", (double)v[c]);
        dl->AddText(ImVec2(x1 + gap, q.y), ImGui::GetColorU32(ImGuiCol_Text), value);
        ImGui::Dummy(ImVec2(width, row_h));
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("%s: %.4f", label, (double)v[c]);
        ImGui::PopID();
    }
    if (scroll)
        ImGui::EndChild();
}

void edge_list(const char *title, const nb_gui_edge_ref *e, size_t n) {
    ImGui::TextUnformatted(title);
    for (size_t k = 0; k < n; k++) {
        if (e[k].kept)
            ImGui::Text("  %zu:%zu  w = %+.4f", e[k].layer, e[k].index, (double)e[k].weight);
        else
            ImGui::TextColored(k_dim_colour, "  %zu:%zu  w = %+.4f  (pruned)", e[k].layer,
                               e[k].index, (double)e[k].weight);
    }
    if (n == 0)
        ImGui::TextDisabled("  none");
}

void tab_rendering(nb_gui_state *st) {
    ImGui::PushItemWidth(-150.0f);
    static const char *const sections[] = {"edge", "node", ""};
    static const char *const titles[] = {"Edges", "Nodes", "View"};
    int class_max = st->n_classes > 0 ? (int)st->n_classes - 1 : -1;
    std::memset(st->render_rect, 0, st->render_form.schema->n_keys * sizeof *st->render_rect);
    form_sections(&st->render_form, sections, titles, 3, class_max, st->render_rect);
    ImGui::PopItemWidth();
    ImGui::Separator();
    ImGui::PushItemWidth(-1.0f);
    ImGui::InputText("##render_path", st->render_path, sizeof st->render_path);
    ImGui::PopItemWidth();
    ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    const float path_rect[4] = {a.x, a.y, b.x, b.y};
    std::memcpy(st->render_path_rect, path_rect, sizeof path_rect);
    if (ImGui::Button("Save"))
        st->requests |= NB_GUI_REQ_RENDER_SAVE;
    ImGui::SameLine();
    if (ImGui::Button("Load"))
        st->requests |= NB_GUI_REQ_RENDER_LOAD;
    ImGui::SameLine();
    if (ImGui::Button("Reset to defaults"))
        st->requests |= NB_GUI_REQ_RENDER_RESET;
    if (st->render_form.file_error[0]) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(k_error_colour, "%s", st->render_form.file_error);
        ImGui::PopTextWrapPos();
    } else if (st->render_message[0]) {
        ImGui::TextWrapped("%s", st->render_message);
    }
}

void tab_stats(nb_gui_state *st) {
    const nb_gui_stats *s = &st->stats;
    if (st->model_path[0])
        ImGui::TextWrapped("%s", st->model_path);
    ImGui::Text("FPS            %.1f", st->fps);
    ImGui::Text("Layers         %zu", s->n_layers);
    ImGui::Text("Nodes          %zu", s->n_nodes);
    ImGui::Text("Edges          %zu", s->n_edges);
    ImGui::Text("Pruned edges   %zu of %zu", s->n_pruned, s->n_edges_total);
    ImGui::Text("Samples        %zu", s->n_samples);
    ImGui::Text("Drawn nodes    %zu", st->visible_nodes);
    ImGui::Text("Drawn segments %zu", st->visible_segments);
    ImGui::Text("Parameters     %zu", s->n_params);
    if (s->has_bundle) {
        ImGui::Separator();
        if (std::isnan(s->metrics.mean_distortion)) {
            ImGui::TextWrapped("Quality metrics are measured when bundling finishes.");
        } else {
            ImGui::Text("Distortion     %.3f mean, %.3f max", s->metrics.mean_distortion,
                        s->metrics.max_distortion);
            ImGui::Text("Length diff    %.4f (MELD)", s->metrics.mean_length_diff);
            ImGui::Text("Ink ratio      %.3f", s->metrics.ink_ratio);
        }
        ImGui::Text("Iterations     %d node, %d edge", s->node_iterations, s->edge_iterations);
        ImGui::Text("Time           %.2f s total", s->time_total);
        ImGui::Text("  layout %.2f, nodes %.2f, edges %.2f", s->time_layout, s->time_node_phase,
                    s->time_edge_phase);
    }
}

void tab_processing(nb_gui_state *st) {
    bool running = st->progress.running;
    ImGui::BeginDisabled(running);
    if (ImGui::CollapsingHeader("Parameters")) {
        ImGui::PushItemWidth(-170.0f);
        for (size_t i = 0; i < st->processing_form.schema->n_keys; i++)
            form_widget(&st->processing_form, i, st->processing_form.schema->keys[i].name, -1,
                        nullptr);
        ImGui::PopItemWidth();
    }
    ImGui::Checkbox("Recompute importance", &st->recompute_importance);
    if (st->recompute_importance) {
        ImGui::PushItemWidth(-80.0f);
        ImGui::InputText("data dir", st->data_dir, sizeof st->data_dir);
        ImGui::PopItemWidth();
    }
    ImGui::EndDisabled();
    bool can_run = !running && st->has_model && !nb_gui_form_has_errors(&st->processing_form);
    ImGui::BeginDisabled(!can_run);
    if (ImGui::Button("Run"))
        st->requests |= NB_GUI_REQ_RUN;
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(!running);
    if (ImGui::Button("Cancel"))
        st->requests |= NB_GUI_REQ_CANCEL;
    ImGui::EndDisabled();
    if (nb_gui_form_has_errors(&st->processing_form)) {
        ImGui::SameLine();
        ImGui::TextColored(k_error_colour, "fix the fields in red");
    }
    char overlay[128];
    if (st->progress.n_iterations > 0)
        std::snprintf(overlay, sizeof overlay, "%s %d/%d", st->progress.phase,
                      st->progress.iteration, st->progress.n_iterations);
    else
        std::snprintf(overlay, sizeof overlay, "%s", st->progress.phase);
    ImGui::ProgressBar((float)st->progress.fraction, ImVec2(-1.0f, 0.0f), overlay);
    if (st->processing_message[0])
        ImGui::TextWrapped("%s", st->processing_message);
    ImGui::Separator();
    ImGui::BeginDisabled(running || !st->has_model);
    ImGui::PushItemWidth(-110.0f);
    ImGui::InputText("##result_path", st->result_path, sizeof st->result_path);
    ImGui::PopItemWidth();
    ImGui::SameLine();
    if (ImGui::Button("Save .nnb.h5"))
        st->requests |= NB_GUI_REQ_SAVE_RESULT;
    ImGui::EndDisabled();
}

void tab_node(nb_gui *g, nb_gui_state *st) {
    ImGui::PushItemWidth(60.0f);
    ImGui::InputInt("layer", &st->pick_layer, 0);
    ImGui::SameLine();
    ImGui::InputInt("index", &st->pick_index, 0);
    ImGui::PopItemWidth();
    ImGui::SameLine();
    if (ImGui::Button("Pick"))
        st->requests |= NB_GUI_REQ_PICK_NODE;
    if (!st->has_pick) {
        ImGui::TextDisabled("Click a node to inspect it.");
    } else {
        const nb_gui_node_info *p = &st->pick;
        char title[NB_NAME_MAX + 96];
        nb_gui_inspect_title(p, title, sizeof title);
        ImGui::TextWrapped("%s", title);
        if (p->layer > 0) {
            ImGui::Text("bias %+.4f", (double)p->bias);
            ImGui::SameLine();
        }
        if (ImGui::SmallButton("Clear"))
            st->requests |= NB_GUI_REQ_CLEAR_PICK;
        if (p->importance) {
            ImGui::Text("Importance per class (norm %.2f)", (double)p->importance_norm);
            class_bars(st, "##importance", p->importance, p->n_classes);
        }
        bool thumbs = p->n_top > 0 && st->top_image[0].rgba;
        bool weights = p->has_input_image && st->weight_image.rgba;
        if (thumbs || weights) {
            // a first-layer channel's input weights are its kernel (summed over input channels)
            const char *what = p->channel ? "kernel" : "input weights";
            if (thumbs && weights)
                ImGui::Text("Top-activating images | %s", what);
            else if (thumbs)
                ImGui::TextUnformatted("Top-activating test images");
            else
                ImGui::Text("%s%s", p->channel ? "Kernel" : "Input weights",
                            p->channel ? " (summed over input channels)" : "");
            if (thumbs) {
                ImGui::BeginGroup();
                for (size_t k = 0; k < p->n_top; k++) {
                    if (k % 3 != 0)
                        ImGui::SameLine(0.0f, 2.0f);
                    image_widget(g, &st->top_image[k], 46.0f);
                    if (ImGui::IsItemHovered())
                        ImGui::SetTooltip("test image %d", (int)p->top[k]);
                }
                ImGui::EndGroup();
            }
            if (weights) {
                if (thumbs)
                    ImGui::SameLine(0.0f, 8.0f);
                ImGui::BeginGroup();
                image_widget(g, &st->weight_image, 112.0f);
                ImGui::TextDisabled("max |w| %.3f", (double)st->weight_scale);
                ImGui::EndGroup();
            }
        }
        edge_list("Strongest incoming", p->in, p->n_in);
        edge_list("Strongest outgoing", p->out, p->n_out);
    }
    if (st->inspector_message[0])
        ImGui::TextWrapped("%s", st->inspector_message);
}

void menu_panels(nb_gui_state *st) {
    if (!ImGui::BeginMenu("Panels"))
        return;
    if (ImGui::MenuItem("Rendering", nullptr, st->show_rendering))
        st->show_rendering ? (void)(st->show_rendering = false)
                           : nb_gui_state_show_tab(st, NB_GUI_TAB_RENDERING);
    if (ImGui::MenuItem("Node", nullptr, st->show_inspector))
        st->show_inspector ? (void)(st->show_inspector = false)
                           : nb_gui_state_show_tab(st, NB_GUI_TAB_NODE);
    if (ImGui::MenuItem("Statistics", nullptr, st->show_stats))
        st->show_stats ? (void)(st->show_stats = false)
                       : nb_gui_state_show_tab(st, NB_GUI_TAB_STATS);
    if (ImGui::MenuItem("Processing", nullptr, st->show_processing))
        st->show_processing ? (void)(st->show_processing = false)
                            : nb_gui_state_show_tab(st, NB_GUI_TAB_PROCESSING);
    ImGui::MenuItem("Activations", nullptr, &st->show_activation);
    ImGui::MenuItem("Layers", nullptr, &st->show_layers);
    ImGui::Separator();
    if (ImGui::MenuItem("Hide all panels", NB_GUI_INPUT_TOGGLE_KEY_NAME))
        st->panels_hidden = true;
    ImGui::EndMenu();
}

void menu_help() {
    if (!ImGui::BeginMenu("Help"))
        return;
    if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg)) {
        for (const nb_gui_input_help *h = nb_gui_input_help_rows(); h->input; h++) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(h->input);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(h->action);
        }
        ImGui::EndTable();
    }
    ImGui::Separator();
    ImGui::TextDisabled("Every rendering key: configs/README.md; the panels: docs/gui.md");
    ImGui::EndMenu();
}

// One tab of the sidebar; its body scrolls under a fixed tab bar.
template <typename Body>
void sidebar_tab(nb_gui_state *st, const char *label, bool shown, nb_gui_tab tab, Body body) {
    if (!shown)
        return;
    ImGuiTabItemFlags flags = st->tab_request == tab ? ImGuiTabItemFlags_SetSelected : 0;
    if (ImGui::BeginTabItem(label, nullptr, flags)) {
        ImGui::BeginChild(label, ImVec2(0.0f, 0.0f), false);
        body();
        ImGui::EndChild();
        ImGui::EndTabItem();
    }
}

// The sidebar: docked to the right edge, full height, width nb_gui_layout_sidebar_width.
void sidebar(nb_gui *g, nb_gui_state *st) {
    ImGuiIO &io = ImGui::GetIO();
    float w = nb_gui_layout_sidebar_width(io.DisplaySize.x);
    ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x - w, 0.0f), ImGuiCond_Always);
    ImGui::SetNextWindowSize(ImVec2(w, io.DisplaySize.y), ImGuiCond_Always);
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoMove |
                                   ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                   ImGuiWindowFlags_MenuBar | ImGuiWindowFlags_NoSavedSettings;
    ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0.0f); // docked: square corners
    ImGui::Begin("nnbundle##sidebar", nullptr, flags);
    ImGui::PopStyleVar();
    record_panel(g, 0.0f);
    if (ImGui::BeginMenuBar()) {
        menu_panels(st);
        menu_help();
        ImGui::TextDisabled("%s: hide", NB_GUI_INPUT_TOGGLE_KEY_NAME);
        ImGui::EndMenuBar();
    }
    bool any = st->show_rendering || st->show_inspector || st->show_stats || st->show_processing;
    if (!any) {
        ImGui::TextWrapped("All tabs are closed; open one from the Panels menu.");
    } else if (ImGui::BeginTabBar("##tabs")) {
        sidebar_tab(st, "Rendering", st->show_rendering, NB_GUI_TAB_RENDERING,
                    [&] { tab_rendering(st); });
        sidebar_tab(st, "Node", st->show_inspector, NB_GUI_TAB_NODE, [&] { tab_node(g, st); });
        sidebar_tab(st, "Statistics", st->show_stats, NB_GUI_TAB_STATS, [&] { tab_stats(st); });
        sidebar_tab(st, "Processing", st->show_processing, NB_GUI_TAB_PROCESSING,
                    [&] { tab_processing(st); });
        ImGui::EndTabBar();
    }
    st->tab_request = NB_GUI_TAB_NONE;
    ImGui::End();
}

void panel_activation(nb_gui *g, nb_gui_state *st) {
    ImGuiIO &io = ImGui::GetIO();
    place(8.0f, io.DisplaySize.y - 408.0f, 300.0f, 400.0f);
    bool open = ImGui::Begin("Activations", &st->show_activation);
    record_panel(g, k_hover_pad);
    if (!open) {
        ImGui::End();
        return;
    }
    if (ImGui::Checkbox("Colour nodes by activation", &st->activation_on))
        st->requests |= NB_GUI_REQ_ACTIVATION;
    ImGui::PushItemWidth(90.0f);
    if (ImGui::InputInt("test image", &st->activation_image, 0))
        st->requests |= NB_GUI_REQ_ACTIVATION;
    ImGui::PopItemWidth();
    ImGui::SameLine();
    if (ImGui::ArrowButton("##prev", ImGuiDir_Left)) {
        st->activation_image = st->activation_image > 0 ? st->activation_image - 1 : 0;
        st->requests |= NB_GUI_REQ_ACTIVATION;
    }
    ImGui::SameLine();
    if (ImGui::ArrowButton("##next", ImGuiDir_Right)) {
        st->activation_image++;
        st->requests |= NB_GUI_REQ_ACTIVATION;
    }
    const nb_gui_activation *a = &st->activation;
    if (st->activation_on && a->valid) {
        image_widget(g, &st->activation_input, 84.0f);
        ImGui::SameLine();
        ImGui::BeginGroup();
        ImGui::Text("image %zu", a->image);
        if (a->label >= 0)
            ImGui::Text("label:     %s", class_name(st, (size_t)a->label));
        ImGui::Text("predicted: %s", class_name(st, a->predicted));
        if (a->label >= 0)
            ImGui::TextColored((size_t)a->label == a->predicted ? ImVec4(0.1f, 0.55f, 0.1f, 1)
                                                                : k_error_colour,
                               (size_t)a->label == a->predicted ? "correct" : "wrong");
        ImGui::EndGroup();
        ImGui::TextUnformatted("Class probabilities");
        class_bars(st, "##probabilities", a->prob, a->n_classes);
    }
    if (st->data_message[0])
        ImGui::TextWrapped("%s", st->data_message);
    ImGui::End();
}

void panel_layers(nb_gui *g, nb_gui_state *st) {
    ImGuiIO &io = ImGui::GetIO();
    float x0 = st->show_activation ? 316.0f : 8.0f;
    float right = io.DisplaySize.x - nb_gui_layout_sidebar_width(io.DisplaySize.x) - 8.0f;
    const float panel_h = st->layers.n_ops > 0 ? 320.0f : 220.0f;
    place(x0, io.DisplaySize.y - panel_h - 8.0f, right - x0 > 200.0f ? right - x0 : 200.0f,
          panel_h);
    bool open = ImGui::Begin("Layers", &st->show_layers);
    record_panel(g, k_hover_pad);
    if (!open) {
        ImGui::End();
        return;
    }
    const nb_gui_layer_table *t = &st->layers;
    if (ImGui::Button("Show all layer pairs") && st->selected_pair != -1) {
        st->selected_pair = -1;
        st->requests |= NB_GUI_REQ_PAIR;
    }
    ImGui::SameLine();
    ImGui::TextDisabled("click a row: that layer pair alone");
    ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                            ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY;
    // each table at most 8 rows high (it scrolls), so the operators fit under the layers
    const float row_h = ImGui::GetFrameHeightWithSpacing();
    auto table_height = [&](size_t rows) {
        return row_h * (float)((rows < 8 ? rows : 8) + 1) + 4.0f;
    };
    if (t->n_layers > 0 &&
        ImGui::BeginTable("layers", 7, flags, ImVec2(0.0f, table_height(t->n_layers)))) {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("layer");
        ImGui::TableSetupColumn("kind");
        ImGui::TableSetupColumn("size");
        ImGui::TableSetupColumn("parameters");
        ImGui::TableSetupColumn("MACs/input");
        ImGui::TableSetupColumn("edges kept");
        ImGui::TableSetupColumn("mean importance per class", ImGuiTableColumnFlags_WidthStretch);
        ImGui::TableHeadersRow();
        for (size_t l = 0; l < t->n_layers; l++) {
            const nb_gui_layer_row *r = &t->row[l];
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            char label[32];
            std::snprintf(label, sizeof label, "%zu", l);
            int pair = l > 0 ? (int)l - 1 : 0;
            bool selected = st->selected_pair == pair && l > 0;
            if (ImGui::Selectable(label, selected, ImGuiSelectableFlags_SpanAllColumns)) {
                st->selected_pair = selected ? -1 : pair;
                st->requests |= NB_GUI_REQ_PAIR;
            }
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(r->kind ? r->kind : "");
            ImGui::TableNextColumn();
            if (r->kind && !std::strcmp(r->kind, "conv2d"))
                ImGui::Text("%zu ch", r->size);
            else
                ImGui::Text("%zu", r->size);
            ImGui::TableNextColumn();
            ImGui::Text("%zu", r->params);
            ImGui::TableNextColumn();
            ImGui::Text("%zu", r->macs);
            ImGui::TableNextColumn();
            if (std::isnan(r->kept_share))
                ImGui::TextDisabled("-");
            else
                ImGui::Text("%.1f %%", 100.0 * r->kept_share);
            ImGui::TableNextColumn();
            if (r->mean_importance) {
                ImGui::PushID((int)l);
                bar_chart(st, r->mean_importance, t->n_classes, ImGui::GetContentRegionAvail().x,
                          16.0f);
                ImGui::PopID();
            }
        }
        ImGui::EndTable();
        ImGui::Text("total: %zu parameters, %zu MACs per input", t->total_params, t->total_macs);
    }
    // the operators of a network that has them (docs/models.md): what makes each node layer
    if (t->n_ops > 0 && ImGui::CollapsingHeader("Operators")) {
        if (ImGui::BeginTable("operators", 6, flags, ImVec2(0.0f, table_height(t->n_ops)))) {
            ImGui::TableSetupScrollFreeze(0, 1);
            ImGui::TableSetupColumn("#");
            ImGui::TableSetupColumn("operator");
            ImGui::TableSetupColumn("output");
            ImGui::TableSetupColumn("parameters");
            ImGui::TableSetupColumn("MACs/input");
            ImGui::TableSetupColumn("node layer", ImGuiTableColumnFlags_WidthStretch);
            ImGui::TableHeadersRow();
            for (size_t k = 0; k < t->n_ops; k++) {
                const nb_gui_op_row *o = &t->op[k];
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::Text("%zu", k);
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(o->kind ? o->kind : "?");
                ImGui::TableNextColumn();
                ImGui::Text("%zux%zux%zu", o->out_c, o->out_h, o->out_w);
                ImGui::TableNextColumn();
                ImGui::Text("%zu", o->params);
                ImGui::TableNextColumn();
                ImGui::Text("%zu", o->macs);
                ImGui::TableNextColumn();
                if (o->node)
                    ImGui::Text("%zu", o->layer);
                else
                    ImGui::TextDisabled("(%zu)", o->layer);
            }
            ImGui::EndTable();
        }
    }
    ImGui::End();
}

// The picked node's ring and its edges' polylines, over the scene and under the panels.
void draw_overlay(const nb_gui_state *st) {
    if (!st->overlay_visible)
        return;
    ImDrawList *dl = ImGui::GetBackgroundDrawList();
    const ImU32 in_col = IM_COL32(230, 90, 0, 220), out_col = IM_COL32(0, 120, 220, 220);
    std::vector<ImVec2> run;
    for (size_t l = 0; l < st->n_overlay_lines; l++) {
        ImU32 col = st->overlay_outgoing[l] ? out_col : in_col;
        run.clear();
        for (size_t i = st->overlay_offset[l]; i <= st->overlay_offset[l + 1]; i++) {
            bool end = i == st->overlay_offset[l + 1] || std::isnan(st->overlay_xy[i][0]);
            if (!end) {
                run.push_back(ImVec2(st->overlay_xy[i][0], st->overlay_xy[i][1]));
                continue;
            }
            if (run.size() >= 2)
                dl->AddPolyline(run.data(), (int)run.size(), col, 0, 2.5f);
            run.clear();
        }
    }
    ImVec2 c(st->overlay_node[0], st->overlay_node[1]);
    dl->AddCircle(c, st->overlay_node[2], IM_COL32(255, 255, 255, 255), 0, 5.0f);
    dl->AddCircle(c, st->overlay_node[2], IM_COL32(220, 20, 60, 255), 0, 3.0f);
    char label[48];
    std::snprintf(label, sizeof label, "%zu:%zu", st->pick.layer, st->pick.index);
    ImVec2 at(c.x + st->overlay_node[2] + 4.0f, c.y - ImGui::GetFontSize() * 0.5f);
    dl->AddText(ImVec2(at.x + 1.0f, at.y + 1.0f), IM_COL32(255, 255, 255, 255), label);
    dl->AddText(at, IM_COL32(160, 10, 40, 255), label);
}

} // namespace

extern "C" {

nb_status nb_gui_create(SDL_Window *window, void *gl_context, nb_gui **out) {
    nb_gui *g = new (std::nothrow) nb_gui();
    if (!g)
        return NB_RAISE(NB_E_NOMEM, "GUI", "context");
    IMGUI_CHECKVERSION();
    g->window = window;
    g->context = ImGui::CreateContext();
    ImGui::SetCurrentContext(g->context);
    ImGuiIO &io = ImGui::GetIO();
    io.IniFilename = nullptr; // no imgui.ini, deterministic layout
    io.LogFilename = nullptr;
    ImGui::StyleColorsLight();
    ImGuiStyle &style = ImGui::GetStyle();
    style.WindowRounding = 3.0f;
    style.Colors[ImGuiCol_WindowBg].w = 0.92f;
    g->sdl_ready = ImGui_ImplSDL2_InitForOpenGL(window, gl_context);
    g->gl_ready = g->sdl_ready && ImGui_ImplOpenGL3_Init("#version 430 core");
    if (!g->gl_ready) {
        nb_gui_destroy(g);
        return NB_RAISE(NB_E_GL, "Dear ImGui", "SDL2/OpenGL3 backend initialisation failed");
    }
    nb_gui_capture_init(&g->capture);
    *out = g;
    return NB_OK;
}

void nb_gui_destroy(nb_gui *g) {
    if (!g)
        return;
    ImGui::SetCurrentContext(g->context);
    for (auto &s : g->textures)
        if (s.texture)
            glDeleteTextures(1, &s.texture);
    if (g->gl_ready)
        ImGui_ImplOpenGL3_Shutdown();
    if (g->sdl_ready)
        ImGui_ImplSDL2_Shutdown();
    ImGui::DestroyContext(g->context);
    delete g;
}

bool nb_gui_process_event(nb_gui *g, const SDL_Event *ev) {
    ImGui::SetCurrentContext(g->context);
    ImGuiIO &io = ImGui::GetIO();
    g->panels.wants_keyboard = io.WantCaptureKeyboard;
    bool panels = nb_gui_input_route(&g->capture, ev, &g->panels) == NB_GUI_INPUT_PANELS;
    switch (ev->type) {
    case SDL_MOUSEMOTION: // position: g->capture
        return panels;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: {
        int b = ev->button.button == SDL_BUTTON_LEFT     ? 0
                : ev->button.button == SDL_BUTTON_RIGHT  ? 1
                : ev->button.button == SDL_BUTTON_MIDDLE ? 2
                                                         : -1;
        // Dear ImGui sees every press: one the scene owns arrives with no pointer position
        // (nb_gui_new_frame), a click on the void that only ends text editing and focus.
        if (b >= 0 && ev->type == SDL_MOUSEBUTTONDOWN)
            g->mouse_down[b] = g->mouse_pressed[b] = true;
        else if (b >= 0 && ev->type == SDL_MOUSEBUTTONUP)
            g->mouse_down[b] = false;
        return panels;
    }
    case SDL_MOUSEWHEEL:
        if (panels)
            ImGui_ImplSDL2_ProcessEvent(ev);
        return panels;
    case SDL_KEYDOWN:
    case SDL_KEYUP:
    case SDL_TEXTINPUT:
    case SDL_TEXTEDITING:
        ImGui_ImplSDL2_ProcessEvent(ev); // key state stays whole (releases included)
        return panels;
    default:
        ImGui_ImplSDL2_ProcessEvent(ev);
        return false;
    }
}

void nb_gui_new_frame(nb_gui *g) {
    ImGui::SetCurrentContext(g->context);
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplSDL2_NewFrame();
    ImGuiIO &io = ImGui::GetIO();
    // Event-tracked mouse (see DESIGN): overrides the backend's polled state. While the scene
    // holds the mouse (a camera drag) the panels see no pointer, so nothing lights up under it.
    const nb_gui_capture *c = &g->capture;
    bool scene_drag = c->buttons && c->owner == NB_GUI_INPUT_SCENE;
    io.MousePos = c->inside && !scene_drag ? ImVec2(c->x, c->y) : ImVec2(-FLT_MAX, -FLT_MAX);
    for (int b = 0; b < 3; b++) {
        io.MouseDown[b] = g->mouse_down[b] || g->mouse_pressed[b];
        g->mouse_pressed[b] = false;
    }
    ImGui::NewFrame();
}

void nb_gui_draw_panels(nb_gui *g, nb_gui_state *st) {
    ImGui::SetCurrentContext(g->context);
    g->panels.n_rects = 0;
    g->panels.popup_open = false;
    draw_overlay(st);
    if (st->panels_hidden)
        return;
    sidebar(g, st);
    if (st->show_activation)
        panel_activation(g, st);
    if (st->show_layers)
        panel_layers(g, st);
    g->panels.popup_open =
        ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId | ImGuiPopupFlags_AnyPopupLevel);
}

void nb_gui_query_panels(const nb_gui *g, nb_gui_input_panels *out) {
    *out = g->panels;
}

void nb_gui_render(nb_gui *g) {
    ImGui::SetCurrentContext(g->context);
    ImGui::Render();
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

bool nb_gui_wants_mouse(const nb_gui *g) {
    ImGui::SetCurrentContext(g->context);
    return ImGui::GetIO().WantCaptureMouse;
}

bool nb_gui_wants_keyboard(const nb_gui *g) {
    ImGui::SetCurrentContext(g->context);
    return ImGui::GetIO().WantCaptureKeyboard;
}

} // extern "C"
