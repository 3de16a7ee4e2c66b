# chapters/05-generator-attacks/build.mk - the chapter's three programs, in order.
#
# The experiment (05-generator-attacks) attacks classifiers that earlier programs wrote to
# files next to the database, so its stamp waits for theirs:
#   mnist-classifiers   MNIST fully connected, convolutional and robust convolutional models
#   cifar-classifiers   the robust fine-tuning of chapter 04's CIFAR-10 model; where chapter
#                       04 is not part of the build it trains a stand-in first (--standin)
# Both are run like a chapter's experiment (same options), each with its own stamp.
CH05 := 05-generator-attacks
CH05_HAS_04 := $(wildcard chapters/04-cifar10/experiment.c)

$(STAMP_DIR)/$(CH05)-mnist-classifiers.done: build/release/bin/mnist-classifiers \
    $(DATA_DIR)/mnist/.verified
	@mkdir -p $(@D) $(dir $(DB))
	@echo "  RUN  mnist-classifiers (profile $(PROFILE))"
	$(Q)build/release/bin/mnist-classifiers --db $(DB) --profile $(PROFILE) --data-dir $(DATA_DIR)
	$(Q)touch $@

$(STAMP_DIR)/$(CH05)-cifar-classifiers.done: build/release/bin/cifar-classifiers \
    $(DATA_DIR)/cifar-10/.verified $(if $(CH05_HAS_04),$(STAMP_DIR)/04-cifar10.done)
	@mkdir -p $(@D) $(dir $(DB))
	@echo "  RUN  cifar-classifiers (profile $(PROFILE))"
	$(Q)build/release/bin/cifar-classifiers --db $(DB) --profile $(PROFILE) --data-dir $(DATA_DIR) \
	  $(if $(CH05_HAS_04),,--standin)
	$(Q)touch $@

$(STAMP_DIR)/$(CH05).done: $(STAMP_DIR)/$(CH05)-mnist-classifiers.done \
    $(STAMP_DIR)/$(CH05)-cifar-classifiers.done
# Chapter 04's CIFAR-10 model, when chapter 04 is in the tree (see cifar-classifiers).
ifneq ($(CH05_HAS_04),)
$(STAMP_DIR)/$(CH05).done: $(STAMP_DIR)/04-cifar10.done
endif
