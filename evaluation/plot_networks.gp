# plot_networks.gp - three rendered networks side by side (same camera, same size), each
# with a caption. Usage:
#   gnuplot -c evaluation/plot_networks.gp OUT_PREFIX IMG1 "caption 1" IMG2 "caption 2" IMG3 "caption 3"
# IMG* are PNG screenshots of `nnbundle-render FILE --screenshot X.png --camera K`.
# Writes OUT_PREFIX.png (and OUT_PREFIX.svg with the images embedded).
set encoding utf8
n = (ARGC - 1) / 2
img(i) = i == 1 ? ARG2 : i == 2 ? ARG4 : ARG6
cap(i) = i == 1 ? ARG3 : i == 2 ? ARG5 : ARG7
# image size from the first PNG's header (width and height are big-endian at bytes 17-24)
w = int(system(sprintf("od -An -tu1 -j16 -N4 '%s' | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}'", img(1))))
h = int(system(sprintf("od -An -tu1 -j20 -N4 '%s' | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}'", img(1))))
W = 600 * n
H = int(600.0 * h / w) + 110
unset border
unset tics
unset key
set size ratio -1
set xrange [0:w-1]
set yrange [0:h-1]
do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo size W,H font "DejaVu Sans,12" background "#ffffff" } \
    else { set terminal svg size W,H font "DejaVu Sans,12" background "#ffffff" }
    set output ARG1.".".fmt
    set multiplot layout 1,n title "Fashion-MNIST 784-81-49-10: importance, pruning and bundling by nnbundle, rendered by nnbundle-render" margins 0.005,0.995,0.02,0.88 spacing 0.01,0
    do for [i = 1:n] {
        set title cap(i) font ",11"
        plot img(i) binary filetype=png with rgbimage
    }
    unset multiplot
    unset output
}
