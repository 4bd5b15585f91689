# plot_common.gp - settings and CSV accessors shared by the plot_*.gp scripts.
#
# The CSVs are the long format written by `nnbundle evaluate` (processor/evaluate/nb_evaluate.h):
#   method,scored_class,level_percent,pruned_fraction,set,metric,class,value
# series() selects one curve with awk and returns "pruned percent, value in percent" pairs
# in file order (levels ascending). x is the ACTUAL pruned share of the edges
# (pruned_fraction * 100), not the requested level.
set encoding utf8
set datafile separator whitespace
set grid lc rgb "#dddddd"
set key box opaque samplen 2.5 spacing 1.1 font ",10"
set xrange [0:100]
set yrange [0:100]
set xtics 10
set ytics 10
set mxtics 2
set border 3
set tics nomirror

# series(file, method, scored_class, set, metric, class) -> "< awk ..." data source
series(f, m, sc, s, k, c) = sprintf("< awk -F, '$1==\"%s\" && $2==\"%s\" && $5==\"%s\" && $6==\"%s\" && $7==\"%s\" {print 100*$4, 100*$8}' '%s'", m, sc, s, k, c, f)

# random_band(file, set) -> "x mean sd" rows (percent) of the random order's accuracy
random_band(f, s) = sprintf("< awk -F, '$1==\"random\" && $2==\"all\" && $5==\"%s\" && $6==\"accuracy\" {n++; x[n]=100*$4; m[n]=100*$8} $1==\"random\" && $2==\"all\" && $5==\"%s\" && $6==\"accuracy_sd\" {k++; sd[k]=100*$8} END {for (i = 1; i <= n; i++) print x[i], m[i], sd[i] + 0}' '%s'", s, s, f)

# Colours: one per method, and the 10-class palette of the renderer's legend order.
c_amg = "#1f4e9c"; c_mg = "#2ca02c"; c_a = "#ff7f0e"; c_rand = "#7f7f7f"; c_rev = "#d62728"
set_label(s) = s eq "test" ? "Test accuracy (%)" : "Training accuracy (%)"
