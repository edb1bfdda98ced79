"""Packs a cc_library and everything it depends on into one installable library.

Bazel 4.2's cc_binary(linkshared = True) links its dependencies lazily, so a
shared library whose dependencies nobody inside it calls comes out empty. An
embedder needs every public symbol, so this rule collects the PIC objects of
the whole closure from CcInfo and links them itself:

  <name>.so.<major>   a shared library with soname lib<name>.so.<major>
  <name>.a            the same objects as a static archive
  <name>.linkflags    the system libraries they need (-lrocksdb, -labsl_...),
                      one per line, for pkg-config and CMake to carry
"""

def _whole_library_impl(ctx):
    cc_info = ctx.attr.library[CcInfo]
    objects = []
    flags = []
    for linker_input in cc_info.linking_context.linker_inputs.to_list():
        # Only our own objects: system libraries come in as -l flags.
        for library in linker_input.libraries:
            objects.extend(library.pic_objects or library.objects)
        for flag in linker_input.user_link_flags:
            if flag not in flags:
                flags.append(flag)

    soname = "lib%s.so.%s" % (ctx.attr.library_name, ctx.attr.major_version)
    shared = ctx.actions.declare_file(soname)
    archive = ctx.actions.declare_file("lib%s.a" % ctx.attr.library_name)
    linkflags = ctx.actions.declare_file("lib%s.linkflags" % ctx.attr.library_name)

    ctx.actions.run(
        outputs = [shared],
        inputs = objects,
        executable = "/usr/bin/g++",
        arguments = ["-shared", "-o", shared.path, "-Wl,-soname," + soname, "-Wl,--no-undefined"] +
                    [o.path for o in objects] + flags,
        mnemonic = "WholeSharedLibrary",
        use_default_shell_env = True,
        progress_message = "Linking %s" % shared.short_path,
    )
    ctx.actions.run(
        outputs = [archive],
        inputs = objects,
        executable = "/usr/bin/ar",
        arguments = ["rcsD", archive.path] + [o.path for o in objects],
        mnemonic = "WholeArchive",
        use_default_shell_env = True,
        progress_message = "Archiving %s" % archive.short_path,
    )
    ctx.actions.write(linkflags, "\n".join(flags) + "\n")
    return [DefaultInfo(files = depset([shared, archive, linkflags]))]

whole_library = rule(
    implementation = _whole_library_impl,
    attrs = {
        "library": attr.label(mandatory = True, providers = [CcInfo]),
        "library_name": attr.string(mandatory = True),
        "major_version": attr.string(mandatory = True),
    },
)
