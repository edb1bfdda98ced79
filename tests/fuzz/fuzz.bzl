"""sessionlog_fuzzer: one fuzz target, built three ways.

  <name>_fuzzer       a libFuzzer binary with --config=fuzz (clang); without it,
                      a plain binary that runs the files and directories named on
                      its command line through the target (for reproducing).
  <name>_corpus_test  runs the committed corpus (corpus/<name>/) through the
                      target in every ordinary `bazel test`, so a finding that
                      was fixed stays fixed.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_test")

def sessionlog_fuzzer(name, srcs, deps):
    cc_binary(
        name = name + "_fuzzer",
        testonly = True,
        srcs = srcs,
        deps = deps + select({
            "//tests/fuzz:libfuzzer": [],
            "//conditions:default": ["//tests/fuzz:standalone_main"],
        }),
        linkopts = select({
            "//tests/fuzz:libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
    )
    cc_test(
        name = name + "_corpus_test",
        srcs = srcs,
        deps = deps + ["//tests/fuzz:standalone_main"],
        data = native.glob(["corpus/" + name + "/**"]),
        args = ["tests/fuzz/corpus/" + name],
    )
