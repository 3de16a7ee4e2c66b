# CIFAR-10: the generator's examples for one test image towards every class (top), their
# perturbations (middle, 0.5 + delta / (2 range) per channel: mid-grey is no change), and one
# held-out image attacked on the model and on its adversarially fine-tuned copy (bottom).
set multiplot
grid_cifar = 1
set margins 0, 0, 0, 0
set origin 0, 0.69
set size 1, 0.27
grid_exp = 'gen-cifar'; grid_png = 'grid-cifar.png'; grid_mode = 'prob'
load 'chapters/05-generator-attacks/grid.gpi'
set origin 0, 0.43
set size 1, 0.26
grid_png = 'grid-cifar-delta.png'; grid_mode = 'l2'
load 'chapters/05-generator-attacks/grid.gpi'
set origin 0, 0
set size 1, 0.42
grid_exp = 'grid-robust-cifar'; grid_png = 'grid-robust-cifar.png'; grid_mode = 'prob'
grid_rows = 'eval-cifar eval-cifar-robust'
load 'chapters/05-generator-attacks/grid.gpi'
unset multiplot
