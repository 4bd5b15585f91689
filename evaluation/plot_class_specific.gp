# plot_class_specific.gp - class-specific pruning, absolute values (method.md §6.3
# caveats: the thesis plotted "relative accuracy" from overall pruning instead). For each
# class c, edges are scored by class c's importance only (alpha * gamma_c) and pruned; the
# panel shows, on the test set,
#   - recall of class c                                   (solid, thick)
#   - mean recall of the other classes, same networks     (dashed)
#   - recall of class c under the class-blind alpha * mean gamma pruning (dotted, control)
# Usage: gnuplot -c evaluation/plot_class_specific.gp EVAL_DIR OUT_PREFIX ["title"] [set] [names]
# reads EVAL_DIR/class_specific.csv and EVAL_DIR/pruning.csv; writes OUT_PREFIX.{png,svg}.
# set: test (default) or train; names: fashion (default, Fashion-MNIST labels) or index.
here = system("dirname '".ARG0."'")
load here."/plot_common.gp"
ccsv = ARG1."/class_specific.csv"
pcsv = ARG1."/pruning.csv"
title = ARGC >= 3 ? ARG3 : "Fashion-MNIST 784-81-49-10"
set_ = ARGC >= 4 ? ARG4 : "test"
names = ARGC >= 5 ? ARG5 : "fashion"
# Fashion-MNIST class names (labels 0-9)
name(i) = names ne "fashion" ? sprintf("class %d", i) : i==0 ? "T-shirt/top" : i==1 ? "Trouser" : i==2 ? "Pullover" : i==3 ? "Dress" : \
          i==4 ? "Coat" : i==5 ? "Sandal" : i==6 ? "Shirt" : i==7 ? "Sneaker" : \
          i==8 ? "Bag" : i==9 ? "Ankle boot" : sprintf("class %d", i)
# classes present: 0 .. max scored class in the CSV
nclass = int(system(sprintf("awk -F, 'NR > 1 && $2 != \"all\" && $2 + 0 > m {m = $2 + 0} END {print m + 1}' '%s'", ccsv)))
ncol = nclass < 5 ? nclass : 5
nrow = int((nclass + ncol - 1) / ncol)

do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo size 1600,360*nrow+120 font "DejaVu Sans,10" } \
    else { set terminal svg size 1600,360*nrow+120 font "DejaVu Sans,10" dynamic }
    set output ARG2.".".fmt
    set multiplot layout nrow,ncol title title." — class-specific pruning by α·γ_c, ".set_." set recall (absolute)" margins 0.05,0.98,0.16,0.92 spacing 0.05,0.12
    set xtics 20
    set ytics 20
    do for [c = 0:nclass-1] {
        cs = sprintf("%d", c)
        set title (names eq "fashion" ? sprintf("class %d: %s", c, name(c)) : name(c))
        set xlabel (c >= (nrow - 1) * ncol ? "Pruned edges (%)" : "")
        set ylabel (c % ncol == 0 ? "Recall (%)" : "")
        if (c == 0) { set key at screen 0.5, 0.01 center bottom vertical maxrows 3 nobox reverse Left font ",11" } \
        else { unset key }
        plot series(ccsv, "alpha_mean_gamma", cs, set_, "recall", cs) with linespoints pt 7 ps 0.6 lw 2.5 lc rgb c_amg title "recall of class c, pruned by α·γ_c", \
             series(ccsv, "alpha_mean_gamma", cs, set_, "recall_others_mean", cs) with linespoints pt 5 ps 0.5 lw 1.5 dt 2 lc rgb c_rev title "mean recall of the other classes, same pruning", \
             series(pcsv, "alpha_mean_gamma", "all", set_, "recall", cs) with lines lw 1.5 dt 3 lc rgb "#555555" title "recall of class c, class-blind α·mean γ pruning (control)"
    }
    unset multiplot
    unset output
}
