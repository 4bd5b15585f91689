/* nb_gl.c - shader loading with file names and GL logs in errors; render targets; readback.
 *
 * DESIGN: shaders are read from $NNBUNDLE_SHADER_DIR, else from NB_SHADER_RELDIR next to the
 * running executable (an installed <prefix>/bin/nnbundle-render reads
 * <prefix>/share/nnbundle/shaders, wherever the prefix was moved), else from the compile-time
 * NB_SHADER_DIR (the source tree's shaders/, for a build tree), so an installed binary and a
 * build tree both find them and a user can try edited shaders without recompiling. Compile and link
 * logs go into the NB_E_GL reason (truncated by the status record's buffer, the start of a GLSL log
 * names the line). Render targets are plain FBOs with texture attachments (RGBA8 + DEPTH24);
 * readback flips rows so PNGs are top-down (GL rows are bottom-up). Single-threaded (the GL
 * context's thread). Config keys: none.
 */
#include "nb_gl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NB_SHADER_DIR
#define NB_SHADER_DIR "shaders"
#endif
#ifndef NB_SHADER_RELDIR
#define NB_SHADER_RELDIR "../share/nnbundle/shaders"
#endif

static bool is_dir(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* "<directory of the running executable>/NB_SHADER_RELDIR" into buf; false if the
 * executable's path is unknown or that is not a directory. */
static bool installed_shader_dir(char *buf, size_t size) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    int k = snprintf(buf, size, "%s/%s", exe, NB_SHADER_RELDIR);
    return k > 0 && (size_t)k < size && is_dir(buf);
}

const char *nb_gl_shader_dir(char *buf, size_t size) {
    const char *env = getenv("NNBUNDLE_SHADER_DIR");
    if (env && env[0])
        return env;
    if (installed_shader_dir(buf, size))
        return buf;
    snprintf(buf, size, "%s", NB_SHADER_DIR);
    return buf;
}

static nb_status read_text(const char *path, char **out) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NB_RAISE(NB_E_IO, path,
                        "cannot open shader file (shader directory: $NNBUNDLE_SHADER_DIR, "
                        "else <program directory>/%s, else %s)",
                        NB_SHADER_RELDIR, NB_SHADER_DIR);
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NB_RAISE(NB_E_IO, path, "cannot seek");
    }
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NB_RAISE(NB_E_IO, path, "cannot read");
    }
    char *buf = malloc((size_t)n + 1);
    if (!buf) {
        fclose(f);
        return NB_RAISE(NB_E_NOMEM, path, "%ld bytes", n);
    }
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    if (got != (size_t)n) {
        free(buf);
        return NB_RAISE(NB_E_IO, path, "short read (%zu of %ld bytes)", got, n);
    }
    buf[n] = '\0';
    *out = buf;
    return NB_OK;
}

static nb_status compile(GLenum type, const char *src, const char *name, GLuint *out) {
    GLuint sh = glCreateShader(type);
    if (!sh)
        return NB_RAISE(NB_E_GL, name, "glCreateShader failed (0x%x)", glGetError());
    glShaderSource(sh, 1, &src, NULL);
    glCompileShader(sh);
    GLint ok = GL_FALSE;
    glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
    if (ok != GL_TRUE) {
        char log[2048] = "";
        glGetShaderInfoLog(sh, (GLsizei)sizeof log, NULL, log);
        glDeleteShader(sh);
        size_t n = strlen(log);
        while (n > 0 && (log[n - 1] == '\n' || log[n - 1] == ' '))
            log[--n] = '\0';
        return NB_RAISE(NB_E_GL, name, "compile failed: %s", log[0] ? log : "(empty GL log)");
    }
    *out = sh;
    return NB_OK;
}

/* Compiles and links 2 or 3 stages (geometry optional); names[] name them in errors. */
static nb_status link_stages(const char *const src[3], const char *const names[3],
                             GLuint *program) {
    static const GLenum types[3] = {GL_VERTEX_SHADER, GL_GEOMETRY_SHADER, GL_FRAGMENT_SHADER};
    GLuint sh[3] = {0, 0, 0};
    nb_status st = NB_OK;
    for (int i = 0; i < 3 && st == NB_OK; i++)
        if (src[i])
            st = compile(types[i], src[i], names[i], &sh[i]);
    if (st != NB_OK) {
        for (int i = 0; i < 3; i++)
            if (sh[i])
                glDeleteShader(sh[i]);
        return st;
    }
    GLuint prog = glCreateProgram();
    for (int i = 0; i < 3; i++)
        if (sh[i])
            glAttachShader(prog, sh[i]);
    glLinkProgram(prog);
    for (int i = 0; i < 3; i++)
        if (sh[i]) {
            glDetachShader(prog, sh[i]);
            glDeleteShader(sh[i]);
        }
    GLint ok = GL_FALSE;
    glGetProgramiv(prog, GL_LINK_STATUS, &ok);
    if (ok != GL_TRUE) {
        char log[2048] = "", subject[1536];
        glGetProgramInfoLog(prog, (GLsizei)sizeof log, NULL, log);
        glDeleteProgram(prog);
        if (src[1])
            snprintf(subject, sizeof subject, "%s + %s + %s", names[0], names[1], names[2]);
        else
            snprintf(subject, sizeof subject, "%s + %s", names[0], names[2]);
        return NB_RAISE(NB_E_GL, subject, "link failed: %s", log[0] ? log : "(empty GL log)");
    }
    *program = prog;
    return NB_OK;
}

nb_status nb_gl_program_from_source(const char *vert_src, const char *vert_name,
                                    const char *frag_src, const char *frag_name, GLuint *program) {
    const char *const src[3] = {vert_src, NULL, frag_src};
    const char *const names[3] = {vert_name, NULL, frag_name};
    return link_stages(src, names, program);
}

nb_status nb_gl_program_load_geom(const char *vert_file, const char *geom_file,
                                  const char *frag_file, GLuint *program) {
    char dir_buf[4096];
    const char *dir = nb_gl_shader_dir(dir_buf, sizeof dir_buf);
    const char *files[3] = {vert_file, geom_file, frag_file};
    char paths[3][1024];
    char *src[3] = {NULL, NULL, NULL};
    nb_status st = NB_OK;
    for (int i = 0; i < 3 && st == NB_OK; i++) {
        if (!files[i])
            continue;
        snprintf(paths[i], sizeof paths[i], "%s/%s", dir, files[i]);
        st = read_text(paths[i], &src[i]);
    }
    if (st == NB_OK) {
        const char *const csrc[3] = {src[0], src[1], src[2]};
        const char *const names[3] = {paths[0], geom_file ? paths[1] : NULL, paths[2]};
        st = link_stages(csrc, names, program);
    }
    for (int i = 0; i < 3; i++)
        free(src[i]);
    return st;
}

nb_status nb_gl_program_load(const char *vert_file, const char *frag_file, GLuint *program) {
    return nb_gl_program_load_geom(vert_file, NULL, frag_file, program);
}

nb_status nb_gl_check(const char *what) {
    GLenum first = glGetError();
    if (first == GL_NO_ERROR)
        return NB_OK;
    for (int i = 0; i < 64 && glGetError() != GL_NO_ERROR; i++) {
    }
    return NB_RAISE(NB_E_GL, what, "GL error 0x%04x", first);
}

void nb_gl_target_unload(nb_gl_target *t) {
    if (!t)
        return;
    if (t->fbo)
        glDeleteFramebuffers(1, &t->fbo);
    if (t->color)
        glDeleteTextures(1, &t->color);
    if (t->depth)
        glDeleteTextures(1, &t->depth);
    memset(t, 0, sizeof *t);
}

GLuint nb_gl_texture(GLenum internal, int w, int h) {
    GLuint tex = 0;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexStorage2D(GL_TEXTURE_2D, 1, internal, w, h);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glBindTexture(GL_TEXTURE_2D, 0);
    return tex;
}

nb_status nb_gl_target_resize(nb_gl_target *t, int width, int height) {
    GLint max_size = 0;
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_size);
    if (width < 1 || height < 1 || width > max_size || height > max_size)
        return NB_RAISE(NB_E_INVALID, "--size", "%dx%d is outside 1..%d per side", width, height,
                        (int)max_size);
    if (t->fbo && t->width == width && t->height == height)
        return NB_OK;
    nb_gl_target n = {0};
    n.width = width;
    n.height = height;
    n.color = nb_gl_texture(GL_RGBA8, width, height);
    n.depth = nb_gl_texture(GL_DEPTH_COMPONENT24, width, height);
    glGenFramebuffers(1, &n.fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, n.fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, n.color, 0);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_TEXTURE_2D, n.depth, 0);
    GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    nb_status st = nb_gl_check("render target");
    if (status != GL_FRAMEBUFFER_COMPLETE || st != NB_OK) {
        nb_gl_target_unload(&n);
        if (st == NB_OK)
            st = NB_RAISE(NB_E_GL, "render target", "framebuffer %dx%d incomplete (0x%04x)", width,
                          height, status);
        return st;
    }
    nb_gl_target_unload(t);
    *t = n;
    return NB_OK;
}

nb_status nb_gl_read_pixels(GLuint fbo, int width, int height, int channels, unsigned char *out) {
    if (width < 1 || height < 1 || (channels != 3 && channels != 4))
        return NB_RAISE(NB_E_INVALID, "glReadPixels", "%dx%d pixels of %d channels", width, height,
                        channels);
    size_t row = (size_t)width * (size_t)channels;
    GLint old_align = 4;
    glGetIntegerv(GL_PACK_ALIGNMENT, &old_align);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, fbo);
    glReadBuffer(fbo ? GL_COLOR_ATTACHMENT0 : GL_BACK);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, width, height, channels == 4 ? GL_RGBA : GL_RGB, GL_UNSIGNED_BYTE, out);
    glPixelStorei(GL_PACK_ALIGNMENT, old_align);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    NB_TRY(nb_gl_check("glReadPixels"));
    /* GL rows are bottom-up: flip in place. */
    unsigned char *tmp = malloc(row);
    if (!tmp)
        return NB_RAISE(NB_E_NOMEM, "glReadPixels", "row buffer");
    for (int y = 0; y < height / 2; y++) {
        unsigned char *a = out + (size_t)y * row;
        unsigned char *b = out + (size_t)(height - 1 - y) * row;
        memcpy(tmp, a, row);
        memcpy(a, b, row);
        memcpy(b, tmp, row);
    }
    free(tmp);
    return NB_OK;
}
