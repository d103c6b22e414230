// libFuzzer's driver entry (LLVM >= 11): SwiftPM gives executables their own entry symbol, so the
// harness starts libFuzzer itself instead of using libFuzzer's main.
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
