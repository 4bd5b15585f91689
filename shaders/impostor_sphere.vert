#version 430 core
// impostor_sphere.vert - one camera-facing quad per sphere (instanced, 4-vertex strip).
// Nodes (method.md §5.4) and the per-sample spheres of edge modes "sphere" and
// "sphere_transparent" (§5.5). The quad lies in the plane through the sphere's nearest point,
// perpendicular to the eye->centre ray, with half-size r: the tangent cone from the eye has
// radius r * sqrt((d-r)/(d+r)) < r there, so the quad covers the whole silhouette.
// Objects whose cull key is <= u_threshold (or radius <= 0) collapse outside the clip volume.
layout(location = 0) in vec4 a_centre; // world xyz, importance (node norm / segment iota)
layout(location = 1) in vec4 a_color;  // rgb, a0
layout(location = 2) in float a_cull;  // cull key

uniform mat4 u_view;
uniform mat4 u_proj;
uniform float u_size;      // world units at importance 1
uniform float u_threshold; // importance threshold

out vec3 v_pos;           // view-space position of this quad corner
flat out vec3 v_centre;   // view-space centre
flat out vec3 v_axis;     // unit long axis (any direction for a sphere)
flat out vec2 v_radii;    // long radius, short radius
flat out vec4 v_color;

const vec2 corners[4] = vec2[4](vec2(-1.0, -1.0), vec2(1.0, -1.0), vec2(-1.0, 1.0),
                                vec2(1.0, 1.0));

void main() {
    float r = u_size * a_centre.w;
    vec3 c = (u_view * vec4(a_centre.xyz, 1.0)).xyz;
    float d = length(c);
    v_centre = c;
    v_radii = vec2(r, r);
    v_color = a_color;
    v_axis = vec3(0.0, 0.0, 1.0);
    v_pos = vec3(0.0);
    if (!(a_cull > u_threshold) || !(r > 0.0) || d <= r * 1.0001) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0); // outside the clip volume: nothing drawn
        return;
    }
    vec3 dir = c / d;
    vec3 ref = abs(dir.y) < 0.99 ? vec3(0.0, 1.0, 0.0) : vec3(1.0, 0.0, 0.0);
    vec3 u = normalize(cross(ref, dir));
    vec3 v = cross(dir, u);
    vec2 k = corners[gl_VertexID];
    vec3 p = c - dir * r + (u * k.x + v * k.y) * r;
    v_pos = p;
    gl_Position = u_proj * vec4(p, 1.0);
}
