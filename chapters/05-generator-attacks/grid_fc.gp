# The generator's adversarial examples against the fully connected MNIST model: one row per
# attacked digit, the original then one column per target class, each captioned with the
# target and the probability the model gives it (an asterisk: not reached in the budget).
grid_exp = 'gen-fc'
grid_png = 'grid-fc.png'
grid_mode = 'prob'
load 'chapters/05-generator-attacks/grid.gpi'
