# Chapter 06 (facial emotion recognition): its data, link flags, the live program and build order.

# FER2013 is part of `make data` (the stamp comes from scripts/fetch-data.sh fer2013).
data: $(DATA_DIR)/fer2013/.verified

# HDF5 (Debian's libhdf5-dev, serial build) for the .h5 model files of src/nn/model_h5.c.
# The library object needs no flag (it includes <hdf5/serial/hdf5.h>); only what links it
# needs the library: this chapter's programs and the library's test of that module.
H5_LIBS := -lhdf5_serial
LDLIBS_06-emotion := $(H5_LIBS)
build/release/tests/test_model_h5 build/asan/tests/test_model_h5: LDLIBS += $(H5_LIBS)

# OpenCV (C++ only) for the live program: video capture and the cascade face detector, used
# through the chapter's one C++ file, programs/vision.cpp. Its headers are system headers (their own
# warnings are not ours); the chapter's programs and tests link the libraries.
CH06_VISION_OBJ := build/release/obj/chapters/06-emotion/programs/vision.o build/asan/obj/chapters/06-emotion/programs/vision.o
$(CH06_VISION_OBJ): CXXFLAGS_COMMON += -isystem /usr/include/opencv4
# The experiment itself links none of it (programs/ is not linked into it).
CH06_CV_LIBS := -lopencv_objdetect -lopencv_videoio -lopencv_imgproc -lopencv_core -lstdc++
build/release/bin/emotion-live build/release/bin/emotion-clip: LDLIBS_06-emotion += $(CH06_CV_LIBS)
build/release/tests/06-emotion-%: LDLIBS_06-emotion += $(CH06_CV_LIBS)
build/asan/tests/06-emotion-%: LDLIBS_06-emotion += $(CH06_CV_LIBS)

# The live program end to end: emotion-clip pipes a clip of PrivateTest faces through
# emotion-live and scores what it prints (runs live-clip and live-clip-accuracy). It reads the
# final model, so it runs after the chapter's experiment, with a stamp of its own: a change to
# the live program runs the clip again without training the network again. The chapter's
# text reads its runs.
CH06 := 06-emotion
$(STAMP_DIR)/$(CH06)-live-clip.done: build/release/bin/emotion-clip build/release/bin/emotion-live \
    $(STAMP_DIR)/$(CH06).done $(DATA_DIR)/fer2013/.verified
	@mkdir -p $(@D) $(dir $(DB))
	@echo "  RUN  emotion-clip (profile $(PROFILE))"
	$(Q)build/release/bin/emotion-clip --db $(DB) --profile $(PROFILE) --data-dir $(DATA_DIR)
	$(Q)touch $@
$(MD_DIR)/$(CH06).md: $(STAMP_DIR)/$(CH06)-live-clip.done
