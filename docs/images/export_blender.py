# docs/images/export_blender.py - opens a glb of `nnbundle-render --export` in Blender, lists
# what arrived and renders it (docs/images/export_blender.png of docs/export.md).
#
#   blender -b --factory-startup --python docs/images/export_blender.py -- FILE.glb OUT.png
#
# Imports with Blender's own glTF importer, prints one line per object (vertices, edges,
# faces, attributes, the custom properties the node extras became), then renders with Cycles
# on the CPU from the side (pose 8 of nnbundle-render): the line objects get a Geometry Nodes
# modifier that turns their edges into thin tubes, since render engines do not draw loose
# edges. Tested with Debian's blender 3.4.1 (about 90 s for the demo network on 2 cores).
import sys, bpy, mathutils
import numpy
if not hasattr(numpy, "bool"):
    numpy.bool = bool  # Debian blender 3.4 + numpy 1.24: the importer uses np.bool
argv = sys.argv[sys.argv.index("--") + 1:]
glb, png = argv[0], argv[1]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.gltf(filepath=glb)
objs = list(bpy.context.scene.objects)
print("IMPORTED", len(objs), "objects")
for o in sorted(objs, key=lambda o: o.name):
    me = o.data if o.type == 'MESH' else None
    props = {k: (o[k] if not hasattr(o[k], 'to_list') else o[k].to_list()) for k in o.keys() if not k.startswith('_RNA')}
    print("OBJ", o.name, o.type, "verts", len(me.vertices) if me else 0, "edges", len(me.edges) if me else 0,
          "faces", len(me.polygons) if me else 0,
          "attrs", [a.name for a in me.attributes] if me else [], "props", list(props.keys()))
net = bpy.data.objects.get("network")
if net is not None:
    print("NETWORK classes", list(net["classes"]), "layers", list(net["layers"]))
# render: thin tubes for the edges, the imported materials, a camera from the side
def tube_nodes(radius):
    ng = bpy.data.node_groups.new("edges to tubes", 'GeometryNodeTree')
    ng.inputs.new('NodeSocketGeometry', "Geometry"); ng.outputs.new('NodeSocketGeometry', "Geometry")
    n = ng.nodes
    gi = n.new('NodeGroupInput'); go = n.new('NodeGroupOutput')
    m2c = n.new('GeometryNodeMeshToCurve'); c2m = n.new('GeometryNodeCurveToMesh')
    circ = n.new('GeometryNodeCurvePrimitiveCircle'); circ.inputs['Resolution'].default_value = 4
    circ.inputs['Radius'].default_value = radius
    ng.links.new(gi.outputs[0], m2c.inputs['Mesh'])
    ng.links.new(m2c.outputs['Curve'], c2m.inputs['Curve'])
    ng.links.new(circ.outputs['Curve'], c2m.inputs['Profile Curve'])
    ng.links.new(c2m.outputs['Mesh'], go.inputs[0])
    return ng
tubes = tube_nodes(0.0015)
for o in objs:
    if o.type == 'MESH' and o.name.startswith("edges"):
        m = o.modifiers.new("tubes", 'NODES'); m.node_group = tubes
scene = bpy.context.scene
cam = bpy.data.cameras.new("cam"); cam.angle = 0.55
co = bpy.data.objects.new("cam", cam); scene.collection.objects.link(co)
co.location = (-7.5, 0.0, 0.0)  # Blender z-up after import: glTF +y -> +z, glTF z -> -y
co.rotation_euler = mathutils.Euler((1.5708, 0.0, -1.5708), 'XYZ')
scene.camera = co
sun = bpy.data.lights.new("sun", 'SUN'); sun.energy = 3.0
so = bpy.data.objects.new("sun", sun); so.rotation_euler = (0.6, -0.4, -1.2); scene.collection.objects.link(so)
world = bpy.data.worlds.new("w"); world.color = (1, 1, 1); scene.world = world
world.use_nodes = True
world.node_tree.nodes["Background"].inputs[0].default_value = (1, 1, 1, 1)
world.node_tree.nodes["Background"].inputs[1].default_value = 1.0
scene.render.engine = 'CYCLES'
scene.cycles.samples = 16
scene.cycles.use_denoising = False
scene.cycles.device = 'CPU'
scene.render.resolution_x, scene.render.resolution_y = 800, 450
scene.render.filepath = png
scene.view_settings.view_transform = 'Standard'
bpy.ops.object.select_all(action='DESELECT')
bpy.ops.render.render(write_still=True)
print("RENDERED", png)
