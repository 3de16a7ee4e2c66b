/* test_sha256.c - SHA-256 against the FIPS 180-4 / NIST test vectors, incremental updates in
 * odd pieces, and files (including a missing one). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "test_files.h"

static char dir[TEST_PATH_MAX];
static void setup(void) {
    test_mkdtemp(dir);
}
static void teardown(void) {
    test_rmtree(dir);
}
TestSuite(sha256, .init = setup, .fini = teardown);

static void expect_hex(const char *msg, size_t len, const char *want) {
    char hex[SHA256_HEX_SIZE];
    sha256_hex(msg, len, hex);
    cr_assert_str_eq(hex, want, "message of %zu bytes", len);
}

Test(sha256, nist_short_vectors) {
    expect_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    expect_hex(m448, strlen(m448),
               "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                       "klmnopqrlmnopqrsmnopqrstnopqrstu";
    expect_hex(m896, strlen(m896),
               "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

Test(sha256, a_million_a_in_odd_pieces) {
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    expect_hex(a, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    sha256_ctx c;
    sha256_init(&c);
    size_t done = 0, piece = 1;
    while (done < 1000000) {
        size_t take = piece < 1000000 - done ? piece : 1000000 - done;
        sha256_update(&c, a + done, take);
        done += take;
        piece = piece * 7 % 131 + 1; /* 1, 8, 57, ... lengths across block boundaries */
    }
    uint8_t digest[32];
    sha256_final(&c, digest);
    cr_assert_eq(digest[0], 0xcd);
    cr_assert_eq(digest[31], 0xd0);
    free(a);
}

Test(sha256, padding_boundaries_55_56_63_64_bytes) {
    /* Lengths where the length field just fits, just does not, and a full block. */
    static const struct {
        size_t len;
        const char *hex;
    } cases[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
    };
    char a[64];
    memset(a, 'a', sizeof a);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        expect_hex(a, cases[k].len, cases[k].hex);
}

Test(sha256, files_and_missing_files) {
    char path[TEST_PATH_MAX], hex[SHA256_HEX_SIZE];
    test_path(path, dir, "abc.txt");
    test_write(path, "abc", 3);
    nn_err err = {{0}};
    cr_assert_eq(sha256_file_hex(path, hex, &err), 0, "%s", err.msg);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    test_path(path, dir, "missing.txt");
    cr_assert_eq(sha256_file_hex(path, hex, &err), -1);
    assert_msg_has(err.msg, "missing.txt");
}
