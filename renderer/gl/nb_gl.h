/* nb_gl.h - the thin OpenGL layer: shader programs from files, render targets, GL errors.
 *
 * Requires a current OpenGL 4.3+ core context with GLEW initialised (nb_window_open).
 * Shader files live in one directory (nb_gl_shader_dir): $NNBUNDLE_SHADER_DIR, the installed
 * share/nnbundle/shaders next to the executable, or the source tree's shaders/. Every failure is a
 * status: a missing file is NB_E_IO naming the path; a compile or link failure is NB_E_GL whose
 * subject is the shader file(s) and whose reason carries the GL info log. Not thread-safe (GL
 * contexts belong to one thread).
 */
#ifndef NB_GL_H
#define NB_GL_H

#include <stdbool.h>
#include <stddef.h>

#include <GL/glew.h>

#include "nb_status.h"

/* The shader directory: $NNBUNDLE_SHADER_DIR if set and non-empty (returned as is), else
 * NB_SHADER_RELDIR ("../share/nnbundle/shaders" for the default install layout) relative to
 * the directory of the running executable when that directory exists (an installed binary),
 * else the compile-time NB_SHADER_DIR (the source tree's shaders/: a build tree). buf (size
 * bytes, 4096 is enough) holds the path in the last two cases. */
const char *nb_gl_shader_dir(char *buf, size_t size);

/* Compiles shaders/<vert_file> and shaders/<frag_file> and links them. On success *program
 * is a new program object (delete with glDeleteProgram). Returns NB_OK, NB_E_IO (unreadable
 * file, subject = its path), NB_E_GL (compile failure: subject = the file's path, reason =
 * GL info log; link failure: subject = "<vert path> + <frag path>"), NB_E_NOMEM. */
nb_status nb_gl_program_load(const char *vert_file, const char *frag_file, GLuint *program);

/* As nb_gl_program_load with a geometry stage between (geom_file may be NULL). A link
 * failure names "<vert> + <geom> + <frag>". */
nb_status nb_gl_program_load_geom(const char *vert_file, const char *geom_file,
                                  const char *frag_file, GLuint *program);

/* Compiles a program from source strings; `vert_name`/`frag_name` name them in errors. */
nb_status nb_gl_program_from_source(const char *vert_src, const char *vert_name,
                                    const char *frag_src, const char *frag_name, GLuint *program);

/* Returns NB_OK if glGetError() reports nothing, else drains the error queue and returns
 * NB_E_GL with subject `what` and the first error code. */
nb_status nb_gl_check(const char *what);

/* A new w x h 2D texture with immutable storage of format `internal`, nearest filtering and
 * clamped edges (render-target attachments; delete with glDeleteTextures). */
GLuint nb_gl_texture(GLenum internal, int w, int h);

/* The colour + depth target every frame is drawn into (never the window's framebuffer, so
 * windowed, offscreen and screenshot output are the same pixels): RGBA8 colour texture and a
 * DEPTH_COMPONENT24 texture (shared with the WBOIT target). */
typedef struct nb_gl_target {
    GLuint fbo;
    GLuint color;
    GLuint depth;
    int width, height;
} nb_gl_target;

/* Creates (or re-creates at a new size) the target. width, height in 1..GL_MAX_TEXTURE_SIZE,
 * else NB_E_INVALID (subject "--size"). NB_E_GL if the framebuffer is incomplete. On failure
 * the previous target is kept. */
nb_status nb_gl_target_resize(nb_gl_target *t, int width, int height);

/* Deletes the GL objects; safe on a zeroed struct. */
void nb_gl_target_unload(nb_gl_target *t);

/* Reads width x height pixels of framebuffer `fbo` (0: the window's back buffer, else its colour
 * attachment 0) as `channels` bytes per pixel (3: RGB, 4: RGBA), top row first, into `out`
 * (width * height * channels bytes). The one GL read-back: screenshots, frames, the legend's
 * coverage and the GUI's window screenshots all read through it. Leaves GL_READ_FRAMEBUFFER
 * bound to 0 and the pack alignment as it found it. Returns NB_OK, NB_E_INVALID (size or
 * channels), NB_E_GL (subject "glReadPixels"), NB_E_NOMEM. */
nb_status nb_gl_read_pixels(GLuint fbo, int width, int height, int channels, unsigned char *out);

#endif /* NB_GL_H */
