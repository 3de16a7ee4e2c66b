# The appendix lists every run: it is filled after every other chapter's experiments ran.
$(MD_DIR)/99-appendix.md: $(patsubst %,$(STAMP_DIR)/%.done,$(filter-out 99-appendix,$(CHAPTERS)))
