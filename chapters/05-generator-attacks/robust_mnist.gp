# One held-out MNIST digit attacked by the generator on the convolutional model (first row)
# and on its adversarially trained copy (second row): the images (top) and the
# perturbations (bottom).
set multiplot
set margins 0, 0, 0, 0
grid_exp = 'grid-robust-conv'; grid_rows = 'eval-conv eval-conv-robust'
set origin 0, 0.5
set size 1, 0.5
grid_png = 'grid-robust-conv.png'; grid_mode = 'prob'
load 'chapters/05-generator-attacks/grid.gpi'
set origin 0, 0
set size 1, 0.5
grid_png = 'grid-robust-conv-delta.png'; grid_mode = 'l2'
load 'chapters/05-generator-attacks/grid.gpi'
unset multiplot
