/* nb_gl.h - the thin OpenGL layer: shader programs from files, render targets, GL errors.
 *
 * Requires a current OpenGL 4.3+ core context with GLEW initialised (nb_window_open).
 * Shader files live in one directory: $NNBUNDLE_SHADER_DIR if set and non-empty, else the
 * compile-time NB_SHADER_DIR (the source tree's shaders/). Every failure is a status: a missing
 * file is NB_E_IO naming the path; a compile or link failure is NB_E_GL whose subject is the
 * shader file(s) and whose reason carries the GL info log.
 * Not thread-safe (GL contexts belong to one thread).
 */
#ifndef NB_GL_H
#define NB_GL_H

#include <stdbool.h>
#include <stddef.h>

#include <GL/glew.h>

#include "nb_status.h"

/* The shader directory in use (environment override or compile-time default). Static or
 * environment storage; valid until the environment changes. */
const char *nb_gl_shader_dir(void);

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

/* Reads the target's RGB pixels, top row first: rgb has width * height * 3 bytes. */
nb_status nb_gl_target_read_rgb(const nb_gl_target *t, unsigned char *rgb);

/* Reads the target's RGBA pixels, top row first: rgba has width * height * 4 bytes. The
 * alpha channel is the coverage of everything drawn (0 where only the background is). */
nb_status nb_gl_target_read_rgba(const nb_gl_target *t, unsigned char *rgba);

#endif /* NB_GL_H */
