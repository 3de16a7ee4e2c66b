# Chapter 06 (facial emotion recognition): its data, link flags and build order.

# FER2013 is part of `make data` (the stamp comes from scripts/fetch-data.sh fer2013).
data: $(DATA_DIR)/fer2013/.verified

# HDF5 (Debian's libhdf5-dev, serial build) for the .h5 model files of src/nn/model_h5.c.
# The library object needs no flag (it includes <hdf5/serial/hdf5.h>); only what links it
# needs the library: this chapter's programs and the library's test of that module.
H5_LIBS := -lhdf5_serial
LDLIBS_06-emotion := $(H5_LIBS)
build/release/tests/test_model_h5 build/asan/tests/test_model_h5: LDLIBS += $(H5_LIBS)

# OpenCV (C++ only) for the live program: video capture and the cascade face detector, used
# through the chapter's one C++ file, vision.cpp. Its headers are system headers (their own
# warnings are not ours); the chapter's programs and tests link the libraries.
CH06_VISION_OBJ := build/release/obj/chapters/06-emotion/vision.o build/asan/obj/chapters/06-emotion/vision.o
$(CH06_VISION_OBJ): CXXFLAGS_COMMON += -isystem /usr/include/opencv4
LDLIBS_06-emotion += -lopencv_objdetect -lopencv_videoio -lopencv_imgproc -lopencv_core -lstdc++
