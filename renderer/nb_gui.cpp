// nb_gui.cpp - the Dear ImGui panels of nnbundle-render (the project's one C++ file).
//
// DESIGN: a thin view. Each frame the panels are rebuilt from an nb_gui_state (nb_gui_state.h):
// the Rendering and Processing panels are generated from the config schema tables
// (nb_rendering_schema / nb_processing_schema: one widget per key, chosen by
// nb_gui_form_widget), so no key can be forgotten; every edit goes through nb_gui_form_set_*
// (the CLI's --set validation) and errors are drawn next to the field. Buttons only set
// request bits in st->requests; the C controller acts on them after the frame. Images
// (thumbnails, weights, the activation input) are nb_gui_image RGBA8 buffers uploaded to GL
// textures when their generation changes. Mouse position and buttons are tracked from SDL
// events and written into ImGuiIO after the SDL backend's NewFrame, because the 1.86 backend
// polls SDL_GetMouseState, which synthetic events (tests, scripted screenshots) do not move.
// Reference for the panel set: reference spec §5.8 (the Tk "NNVIS Options" window).
// Threading: GUI thread only (owns the GL context). Config keys read: all rendering and
// processing keys, through the forms.
#include "nb_gui.h"

extern "C" {
#include "nb_screenshot.h"
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
    float mouse_x, mouse_y;
    bool mouse_inside;
    bool mouse_down[3];
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
        int n = 0;
        while (k->enum_names && k->enum_names[n])
            n++;
        int v = (int)fd->value[0];
        const char *preview = v >= 0 && v < n ? k->enum_names[v] : "?";
        if (ImGui::BeginCombo(id, preview)) {
            for (int e = 0; e < n; e++) {
                bool selected = e == v;
                if (ImGui::Selectable(k->enum_names[e], selected) && e != v) {
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

void panel_rendering(nb_gui_state *st) {
    ImGuiIO &io = ImGui::GetIO();
    place(8.0f, 28.0f, 360.0f, io.DisplaySize.y * 0.62f);
    if (!ImGui::Begin("Rendering", &st->show_rendering)) {
        ImGui::End();
        return;
    }
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
    ImGui::End();
}

void panel_stats(nb_gui_state *st) {
    ImGuiIO &io = ImGui::GetIO();
    place(io.DisplaySize.x - 338.0f, 28.0f, 330.0f, 300.0f);
    if (!ImGui::Begin("Statistics", &st->show_stats)) {
        ImGui::End();
        return;
    }
    const nb_gui_stats *s = &st->stats;
    if (st->model_path[0])
        ImGui::TextWrapped("%s", st->model_path);
    ImGui::Text("FPS            %.1f", st->fps);
    ImGui::Text("Layers         %zu", s->n_layers);
    ImGui::Text("Nodes          %zu", s->n_nodes);
    ImGui::Text("Edges          %zu", s->n_edges);
    ImGui::Text("Pruned edges   %zu of %zu", s->n_pruned, s->n_edges_total);
    ImGui::Text("Samples        %zu", s->n_samples);
    ImGui::Text("Drawn          %zu nodes, %zu segments", st->visible_nodes, st->visible_segments);
    ImGui::Text("Parameters     %zu", s->n_params);
    if (s->has_bundle) {
        ImGui::Separator();
        if (std::isnan(s->metrics.mean_distortion)) {
            ImGui::TextDisabled("Quality metrics are measured when bundling finishes.");
        } else {
            ImGui::Text("Distortion     %.3f mean, %.3f max", s->metrics.mean_distortion,
                        s->metrics.max_distortion);
            ImGui::Text("Length diff    %.4f (MELD)", s->metrics.mean_length_diff);
            ImGui::Text("Ink ratio      %.3f", s->metrics.ink_ratio);
        }
        ImGui::Text("Iterations     %d node, %d edge", s->node_iterations, s->edge_iterations);
        ImGui::Text("Time           %.2f s total", s->time_total);
        ImGui::Text("               layout %.2f, nodes %.2f, edges %.2f", s->time_layout,
                    s->time_node_phase, s->time_edge_phase);
    }
    ImGui::End();
}

void panel_processing(nb_gui_state *st) {
    ImGuiIO &io = ImGui::GetIO();
    place(8.0f, io.DisplaySize.y * 0.62f + 36.0f, 360.0f, io.DisplaySize.y * 0.38f - 44.0f);
    if (!ImGui::Begin("Processing", &st->show_processing)) {
        ImGui::End();
        return;
    }
    bool running = st->progress.running;
    ImGui::BeginDisabled(running);
    if (ImGui::CollapsingHeader("Parameters")) {
        ImGui::PushItemWidth(-190.0f);
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
    ImGui::End();
}

const char *class_name(const nb_gui_state *st, size_t c) {
    return st->class_names && c < st->n_classes && st->class_names[c] ? st->class_names[c] : "?";
}

// Vertical bars, one per class in its colour, values in [0, 1] on a fixed scale; the values
// are listed in a tooltip.
void bar_chart(const nb_gui_state *st, const float *v, size_t n, float width, float height) {
    ImVec2 p0 = ImGui::GetCursorScreenPos();
    float bar_w = n ? width / (float)n : width;
    ImDrawList *dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(p0, ImVec2(p0.x + width, p0.y + height), IM_COL32(235, 235, 235, 255));
    for (size_t c = 0; c < n; c++) {
        float f = v[c] < 0.0f ? 0.0f : v[c] > 1.0f ? 1.0f : v[c];
        ImU32 col = IM_COL32(128, 128, 128, 255);
        if (st->class_color && c < st->n_classes)
            col = ImGui::ColorConvertFloat4ToU32(
                ImVec4(st->class_color[c][0], st->class_color[c][1], st->class_color[c][2], 1.0f));
        float x0 = p0.x + bar_w * (float)c;
        dl->AddRectFilled(ImVec2(x0 + 1.0f, p0.y + height * (1.0f - f)),
                          ImVec2(x0 + bar_w - 1.0f, p0.y + height), col);
    }
    ImGui::Dummy(ImVec2(width, height));
    if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        for (size_t c = 0; c < n; c++)
            ImGui::Text("%-12s %.4f", class_name(st, c), (double)v[c]);
        ImGui::EndTooltip();
    }
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

void panel_inspector(nb_gui *g, nb_gui_state *st) {
    ImGuiIO &io = ImGui::GetIO();
    place(io.DisplaySize.x - 338.0f, 336.0f, 330.0f, io.DisplaySize.y - 344.0f);
    if (!ImGui::Begin("Node", &st->show_inspector)) {
        ImGui::End();
        return;
    }
    ImGui::PushItemWidth(70.0f);
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
        const char *kind = p->layer == 0 ? "input" : p->hidden ? "hidden" : "output";
        ImGui::Text("Node %zu:%zu (%s, id %zu)", p->layer, p->index, kind, p->node);
        if (p->layer > 0)
            ImGui::Text("bias %+.4f", (double)p->bias);
        ImGui::SameLine();
        if (ImGui::SmallButton("Clear"))
            st->requests |= NB_GUI_REQ_CLEAR_PICK;
        if (p->importance) {
            ImGui::Text("Importance per class (norm %.2f)", (double)p->importance_norm);
            bar_chart(st, p->importance, p->n_classes, ImGui::GetContentRegionAvail().x, 40.0f);
        }
        bool thumbs = p->n_top > 0 && st->top_image[0].rgba;
        bool weights = p->has_input_image && st->weight_image.rgba;
        if (thumbs || weights) {
            ImGui::TextUnformatted(thumbs && weights ? "Top-activating images | input weights"
                                   : thumbs          ? "Top-activating test images"
                                                     : "Input weights");
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
    ImGui::End();
}

void panel_activation(nb_gui *g, nb_gui_state *st) {
    ImGuiIO &io = ImGui::GetIO();
    place(376.0f, io.DisplaySize.y - 300.0f, 300.0f, 292.0f);
    if (!ImGui::Begin("Activations", &st->show_activation)) {
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
        bar_chart(st, a->prob, a->n_classes, ImGui::GetContentRegionAvail().x, 40.0f);
        size_t order[3] = {0, 0, 0}, n_order = a->n_classes < 3 ? a->n_classes : 3;
        for (size_t k = 0; k < n_order; k++) { // the three most probable classes
            size_t best = a->n_classes;
            for (size_t c = 0; c < a->n_classes; c++) {
                bool used = false;
                for (size_t q = 0; q < k; q++)
                    used = used || order[q] == c;
                if (!used && (best == a->n_classes || a->prob[c] > a->prob[best]))
                    best = c;
            }
            order[k] = best;
            ImGui::Text("%5.1f %%  %s", 100.0 * (double)a->prob[best], class_name(st, best));
        }
    }
    if (st->data_message[0])
        ImGui::TextWrapped("%s", st->data_message);
    ImGui::End();
}

void panel_layers(nb_gui_state *st) {
    ImGuiIO &io = ImGui::GetIO();
    place(376.0f, 28.0f, io.DisplaySize.x - 376.0f - 346.0f, 220.0f);
    if (!ImGui::Begin("Layers", &st->show_layers)) {
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
    if (t->n_layers > 0 && ImGui::BeginTable("layers", 6, flags)) {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("layer");
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
    g->mouse_x = g->mouse_y = -FLT_MAX;
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
    ImGui_ImplSDL2_ProcessEvent(ev);
    ImGuiIO &io = ImGui::GetIO();
    switch (ev->type) {
    case SDL_MOUSEMOTION:
        g->mouse_x = (float)ev->motion.x;
        g->mouse_y = (float)ev->motion.y;
        g->mouse_inside = true;
        return io.WantCaptureMouse;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: {
        g->mouse_x = (float)ev->button.x;
        g->mouse_y = (float)ev->button.y;
        g->mouse_inside = true;
        int b = ev->button.button == SDL_BUTTON_LEFT     ? 0
                : ev->button.button == SDL_BUTTON_RIGHT  ? 1
                : ev->button.button == SDL_BUTTON_MIDDLE ? 2
                                                         : -1;
        if (b >= 0)
            g->mouse_down[b] = ev->type == SDL_MOUSEBUTTONDOWN;
        // The decision uses the hover state of the last frame, as ImGui does itself.
        return io.WantCaptureMouse;
    }
    case SDL_MOUSEWHEEL:
        return io.WantCaptureMouse;
    case SDL_WINDOWEVENT:
        if (ev->window.event == SDL_WINDOWEVENT_LEAVE)
            g->mouse_inside = false;
        return false;
    case SDL_KEYDOWN:
    case SDL_KEYUP:
    case SDL_TEXTINPUT:
        return io.WantCaptureKeyboard;
    default:
        return false;
    }
}

void nb_gui_new_frame(nb_gui *g) {
    ImGui::SetCurrentContext(g->context);
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplSDL2_NewFrame();
    ImGuiIO &io = ImGui::GetIO();
    // Event-tracked mouse (see DESIGN): overrides the backend's polled state.
    io.MousePos = g->mouse_inside ? ImVec2(g->mouse_x, g->mouse_y) : ImVec2(-FLT_MAX, -FLT_MAX);
    for (int b = 0; b < 3; b++)
        io.MouseDown[b] = g->mouse_down[b];
    ImGui::NewFrame();
}

void nb_gui_draw_panels(nb_gui *g, nb_gui_state *st) {
    ImGui::SetCurrentContext(g->context);
    if (ImGui::BeginMainMenuBar()) {
        if (ImGui::BeginMenu("Panels")) {
            ImGui::MenuItem("Rendering", nullptr, &st->show_rendering);
            ImGui::MenuItem("Statistics", nullptr, &st->show_stats);
            ImGui::MenuItem("Processing", nullptr, &st->show_processing);
            ImGui::MenuItem("Node", nullptr, &st->show_inspector);
            ImGui::MenuItem("Activations", nullptr, &st->show_activation);
            ImGui::MenuItem("Layers", nullptr, &st->show_layers);
            ImGui::EndMenu();
        }
        if (st->model_path[0])
            ImGui::TextDisabled("%s", st->model_path);
        ImGui::EndMainMenuBar();
    }
    draw_overlay(st);
    if (st->show_rendering)
        panel_rendering(st);
    if (st->show_stats)
        panel_stats(st);
    if (st->show_processing)
        panel_processing(st);
    if (st->show_inspector)
        panel_inspector(g, st);
    if (st->show_activation)
        panel_activation(g, st);
    if (st->show_layers)
        panel_layers(st);
}

void nb_gui_render(nb_gui *g) {
    ImGui::SetCurrentContext(g->context);
    ImGui::Render();
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

nb_status nb_gui_screenshot(nb_gui *g, int width, int height, const char *path) {
    (void)g;
    if (width < 1 || height < 1)
        return NB_RAISE(NB_E_INVALID, path, "screenshot of %dx%d pixels", width, height);
    size_t row = (size_t)width * 3, n = row * (size_t)height;
    std::vector<unsigned char> buf, flipped;
    try {
        buf.resize(n);
        flipped.resize(n);
    } catch (const std::bad_alloc &) {
        return NB_RAISE(NB_E_NOMEM, path, "%zu bytes of pixels", n);
    }
    while (glGetError() != GL_NO_ERROR) {
    }
    GLint old_align = 0;
    glGetIntegerv(GL_PACK_ALIGNMENT, &old_align);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, buf.data());
    glPixelStorei(GL_PACK_ALIGNMENT, old_align);
    GLenum err = glGetError();
    if (err != GL_NO_ERROR)
        return NB_RAISE(NB_E_GL, path, "glReadPixels of the window failed (0x%04x)", err);
    for (int y = 0; y < height; y++) // GL rows are bottom-up, PNG rows top-down
        std::memcpy(&flipped[(size_t)y * row], &buf[(size_t)(height - 1 - y) * row], row);
    return nb_screenshot_write_png(path, flipped.data(), width, height);
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
