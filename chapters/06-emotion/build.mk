# Chapter 06 (facial emotion recognition): its data, link flags and build order.

# FER2013 is part of `make data` (the stamp comes from scripts/fetch-data.sh fer2013).
data: $(DATA_DIR)/fer2013/.verified
