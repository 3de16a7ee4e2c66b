# fuzz/fuzz.mk - the libFuzzer targets (included by the GNUmakefile; see fuzz/README.md).
#
#   make fuzz                 a campaign: every target FUZZ_SECONDS each, figures into $(DB)
#   make fuzz-replay          every seed and regression input once, plus a short bounded run
#                             per target (part of make check, through CHECK_EXTRA)
#   make fuzz-build           only build the targets (build/fuzz/fuzz_<target>)
#   make fuzz-seeds           regenerate fuzz/corpus/ (deterministic; commit the result)
#
# The library is compiled again with clang, with coverage instrumentation and ASan/UBSan,
# into build/fuzz/ (never mixed with gcc's build/release or build/asan objects). Only the
# folders a parser lives in or stands on are compiled: base, data, nn, render.

FUZZ_TARGETS ?= mnist cifar10 fer2013 npy model template bench_records
FUZZ_SECONDS ?= 60
# Processes per target (libFuzzer -fork); 1 leaves the second core to whoever shares it.
FUZZ_JOBS ?= 1
# Executions of the bounded run per target in make check (fixed seed: reproducible).
FUZZ_CHECK_RUNS ?= 20000

FUZZ_DIR := build/fuzz
FUZZ_CC  ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := $(filter-out -march=native,$(CFLAGS_COMMON)) -Ibench -g -O1 \
               -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_LIB_SRC := $(filter src/base/% src/data/% src/nn/% src/render/%,$(LIB_SRC))
FUZZ_LIB := $(FUZZ_DIR)/libnn.a
FUZZ_BINS := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-build fuzz-replay fuzz-seeds

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC [fuzz] $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_LIB): $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_LIB_SRC))
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

# A target is fuzz/fuzz_<target>.c plus the library (and, below, what else it fuzzes).
$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/fuzz/fuzz_%.o $(FUZZ_LIB)
	@$(if $(Q),echo "  LD [fuzz] $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(filter %.o,$^) $(filter %.a,$^) -o $@ \
	  $(LDLIBS)
$(FUZZ_DIR)/fuzz_model: $(FUZZ_DIR)/obj/fuzz/reference_model.o
$(FUZZ_DIR)/fuzz_bench_records: $(FUZZ_DIR)/obj/bench/records.o

fuzz-build: $(FUZZ_BINS)

fuzz-replay: DEPS_GROUP := check
fuzz-replay: deps $(FUZZ_BINS)
	$(Q)fuzz/replay.sh --bin-dir $(FUZZ_DIR) --runs $(FUZZ_CHECK_RUNS) $(FUZZ_TARGETS)

# The recorder and the seed writer are ordinary programs on the release library.
build/release/bin/fuzz-record: build/release/obj/fuzz/record.o $(LIB_release)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_COMMON) $(CFLAGS_release) $^ -o $@ $(LDLIBS)
build/release/bin/fuzz-make-seeds: build/release/obj/fuzz/make_seeds.o \
    build/release/obj/fuzz/reference_model.o $(LIB_release)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_COMMON) $(CFLAGS_release) $^ -o $@ $(LDLIBS)

fuzz: DEPS_GROUP := check
fuzz: deps $(FUZZ_BINS) build/release/bin/fuzz-record
	@mkdir -p $(dir $(DB))
	$(Q)fuzz/campaign.sh --bin-dir $(FUZZ_DIR) --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS) \
	  --db $(DB) --profile $(PROFILE) --record build/release/bin/fuzz-record $(FUZZ_TARGETS)

fuzz-seeds: build/release/bin/fuzz-make-seeds
	$(Q)$< fuzz/corpus

CHECK_EXTRA += fuzz-replay
# The integration test records a campaign into the smoke database (the appendix's table).
integration: build/release/bin/fuzz-record

# ---------------------------------------------------------------------------------------
# Line coverage of each parser by the corpus (seeds, regressions and what campaigns grew in
# build/fuzz/corpus): the same targets built with clang's source-based coverage instead of
# the sanitizers, run once over every input, and llvm-cov's report for the files each
# target is about. Needs Debian's llvm-14 (llvm-profdata-14, llvm-cov-14); not part of
# make check.
FUZZ_COV_DIR := build/fuzz-cov
FUZZ_COV_CFLAGS := $(filter-out -march=native,$(CFLAGS_COMMON)) -Ibench -g -O1 \
                   -fprofile-instr-generate -fcoverage-mapping
FUZZ_COV_BINS := $(patsubst %,$(FUZZ_COV_DIR)/fuzz_%,$(FUZZ_TARGETS))

$(FUZZ_COV_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC [fuzz-cov] $<")
	$(Q)$(FUZZ_CC) $(FUZZ_COV_CFLAGS) -c $< -o $@

$(FUZZ_COV_DIR)/libnn.a: $(patsubst %.c,$(FUZZ_COV_DIR)/obj/%.o,$(FUZZ_LIB_SRC))
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_COV_DIR)/fuzz_%: $(FUZZ_COV_DIR)/obj/fuzz/fuzz_%.o $(FUZZ_COV_DIR)/libnn.a
	$(Q)$(FUZZ_CC) $(FUZZ_COV_CFLAGS) -fsanitize=fuzzer $(filter %.o,$^) $(filter %.a,$^) -o $@ \
	  $(LDLIBS)
$(FUZZ_COV_DIR)/fuzz_model: $(FUZZ_COV_DIR)/obj/fuzz/reference_model.o
$(FUZZ_COV_DIR)/fuzz_bench_records: $(FUZZ_COV_DIR)/obj/bench/records.o

.PHONY: fuzz-coverage
fuzz-coverage: $(FUZZ_COV_BINS)
	$(Q)fuzz/coverage.sh --bin-dir $(FUZZ_COV_DIR) --corpus-dir $(FUZZ_DIR)/corpus $(FUZZ_TARGETS)
