# plot_variants.gp - the thesis' comparison plots (method.md §6.3 "regularisers" and
# "BN parameters"): accuracy after alpha * mean gamma pruning, for importance computed with
# different importance_flags on the SAME trained network, next to the random floor.
# Usage:
#   gnuplot -c evaluation/plot_variants.gp OUT_PREFIX "title" RANDOM_DIR "DIR1 DIR2 ..."
# Each DIR holds a pruning.csv of `nnbundle evaluate --methods alpha_mean_gamma`; its base
# name is the thesis' importance name (nobeta_gammaone_l1, beta_gammazero_l1, ...), which
# gives the legend text. RANDOM_DIR/pruning.csv provides the random order. Directory names
# must not contain spaces. Writes OUT_PREFIX.png and OUT_PREFIX.svg.
here = system("dirname '".ARG0."'")
load here."/plot_common.gp"
title = ARG2
rcsv = ARG3."/pruning.csv"
dirs = ARG4
base(d) = system("basename '".d."'")
# importance name -> legend text (method.md §2.3: beta = learnable shift, gammaone/zero = initial
# gamma, suffix = regulariser on gamma)
label(n) = n eq "nobeta_gammaone" ? "γ init 1, no regulariser" : \
           n eq "nobeta_gammaone_l1" ? "γ init 1, L1" : \
           n eq "nobeta_gammaone_l2" ? "γ init 1, L2" : \
           n eq "nobeta_gammaone_l1l2" ? "γ init 1, L1 + L2" : \
           n eq "nobeta_gammazero_l1" ? "no β, γ init 0 (L1)" : \
           n eq "beta_gammazero_l1" ? "with β, γ init 0 (L1)" : \
           n eq "beta_gammaone_l1" ? "with β, γ init 1 (L1)" : n
colour(i) = word("#1f4e9c #ff7f0e #2ca02c #9467bd #8c564b #e377c2", i)
point(i) = word("7 5 9 13 11 15", i) + 0

do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo size 1400,620 font "DejaVu Sans,11" } \
    else { set terminal svg size 1400,620 font "DejaVu Sans,11" dynamic }
    set output ARG1.".".fmt
    set multiplot layout 1,2 title title
    set bmargin 8
    do for [s in "test train"] {
        set xlabel "Pruned edges (% of all weights)"
        set ylabel set_label(s)
        set title (s eq "test" ? "test set" : "training set")
        if (s eq "test") { set key at screen 0.5, 0.01 center bottom horizontal maxrows 2 } \
        else { unset key }
        plot 10 with lines dt 3 lc rgb "#999999" title "chance (10 %)", \
             random_band(rcsv, s) using 1:2 with linespoints pt 7 ps 0.5 lw 1.5 lc rgb c_rand title "random order (mean over draws)", \
             for [i = 1:words(dirs)] series(word(dirs, i)."/pruning.csv", "alpha_mean_gamma", "all", s, "accuracy", "all") \
                 with linespoints pt point(i) ps 0.8 lw 2 lc rgb colour(i) title label(base(word(dirs, i)))
    }
    unset multiplot
    unset output
}
