# plot_methods.gp - pruning curves of the five edge orders (method.md §6.3 "method
# comparison", plus the random floor and the reverse order). Usage:
#   gnuplot -c evaluation/plot_methods.gp EVAL_DIR OUT_PREFIX ["title"]
# reads EVAL_DIR/pruning.csv, writes OUT_PREFIX.png and OUT_PREFIX.svg.
here = system("dirname '".ARG0."'")
load here."/plot_common.gp"
csv = ARG1."/pruning.csv"
title = ARGC >= 3 ? ARG3 : "Fashion-MNIST 784-81-49-10"

do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo size 1400,620 font "DejaVu Sans,11" } \
    else { set terminal svg size 1400,620 font "DejaVu Sans,11" dynamic }
    set output ARG2.".".fmt
    set multiplot layout 1,2 title title." — accuracy after zeroing the lowest-scoring edges"
    set bmargin 8
    do for [s in "test train"] {
        set xlabel "Pruned edges (% of all weights)"
        set ylabel set_label(s)
        set title (s eq "test" ? "test set" : "training set")
        if (s eq "test") { set key at screen 0.5, 0.01 center bottom horizontal maxrows 2 } \
        else { unset key }
        plot 10 with lines dt 3 lc rgb "#999999" title "chance (10 %)", \
             random_band(csv, s) using 1:($2-$3):($2+$3) with filledcurves fs transparent solid 0.25 noborder lc rgb c_rand title "random ±1 SD over the draws", \
             random_band(csv, s) using 1:2 with linespoints pt 7 ps 0.6 lw 1.5 lc rgb c_rand title "random order (mean over draws)", \
             series(csv, "reverse", "all", s, "accuracy", "all") with linespoints pt 9 ps 0.8 lw 1.5 lc rgb c_rev title "reverse: most important first", \
             series(csv, "mean_gamma", "all", s, "accuracy", "all") with linespoints pt 5 ps 0.6 lw 1.5 lc rgb c_mg title "mean γ of source node", \
             series(csv, "alpha", "all", s, "accuracy", "all") with linespoints pt 13 ps 0.8 lw 1.5 lc rgb c_a title "α = |w| / max |w|", \
             series(csv, "alpha_mean_gamma", "all", s, "accuracy", "all") with linespoints pt 7 ps 0.8 lw 2.5 lc rgb c_amg title "α · mean γ (nnbundle default)"
    }
    unset multiplot
    unset output
}
