# At every original image and non-trivial target of the convolutional model: the L2 norm of the
# gradient of the composite loss with respect to the image, against the probability the model
# gives the target, for the assigned MSE on softmax outputs and for cross-entropy.
ch = '05-generator-attacks'
pts(method) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT confidence, l2 FROM attacks WHERE method = '%s' AND confidence > 0 AND l2 > 0 AND run_id = \
  (SELECT max(id) FROM latest_runs WHERE chapter = '%s' AND experiment = 'gen-conv')\"", db, method, ch)
set logscale xy
set format x '10^{%L}'
set format y '10^{%L}'
set xlabel 'probability of the target at the original image'
set ylabel '|| d loss / d image ||_2'
set key top left
set grid
plot pts('grad-mse') using 1:2 with points pt 7 ps 0.6 lc rgb '#d62728' title 'MSE(softmax, one-hot)', \
     pts('grad-xent') using 1:2 with points pt 6 ps 0.6 lc rgb '#1f77b4' title 'cross-entropy'
