# The perturbations behind grid_fc.gp: adversarial minus original on a blue (darker) -
# white - red (brighter) scale, each captioned with its L2 size.
grid_exp = 'gen-fc'
grid_png = 'grid-fc-delta.png'
grid_mode = 'l2'
load 'chapters/05-generator-attacks/grid.gpi'
