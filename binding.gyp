{
  # node-gyp build of the addon: the same sources and flags as CMakeLists.txt (cmake-js).
  # Two ways to link OpenBLAS:
  #   openblas_static=0 (default): the system's shared libopenblas. What `npm install` does when no
  #     prebuilt binary loads (scripts/install.js), and `npm run build:gyp`.
  #   openblas_static=1: libopenblas.a and libstdc++.a linked in with their symbols kept out of the
  #     export table, so the binary needs only libc, libm and libgcc_s at run time and cannot clash
  #     with another BLAS in the process. Used for prebuilds (`npm run build:prebuild`); set it with
  #     the environment variable BLASPROP_OPENBLAS_STATIC=1. libgcc stays shared: its static
  #     unwinder would raise the glibc floor from 2.34 to 2.35 (_dl_find_object).
  # oneDNN (the second product engine, native/products/onednn.h) joins either build when its
  # headers are installed (Debian/Ubuntu: libdnnl-dev) and BLASPROP_ONEDNN is not 0. The probe looks
  # at this machine's headers, so a cross build (scripts/prebuild.js --arch) sets BLASPROP_ONEDNN=0.
  # There is no static libdnnl (Debian ships the shared one only): the x64 prebuild links the shared
  # libdnnl.so.2 and libgomp.so.1, and scripts/prebuild.js copies them (and libdnnl's libOpenCL.so.1)
  # beside the binary, which finds them through the DT_RPATH $ORIGIN set below.
  "variables": {
    "openblas_static%": "<!(node -p \"process.env.BLASPROP_OPENBLAS_STATIC === '1' ? 1 : 0\")",
    "onednn%": "<!(node -p \"process.env.BLASPROP_ONEDNN !== '0' && ['/usr/include', '/usr/local/include'].some((d) => require('fs').existsSync(d + '/oneapi/dnnl/dnnl.hpp')) ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "blasprop",
      "sources": ["native/napi/addon.cc", "native/napi/network_wrap.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/find-openblas.js --cflags)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NDEBUG"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++14"],
      "cflags_cc": ["-std=gnu++17", "-O3", "-fexceptions", "-frtti", "-fvisibility=hidden", "-fvisibility-inlines-hidden"],
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1 }
      },
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "GCC_ENABLE_CPP_RTTI": "YES",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3"]
      },
      "conditions": [
        ["onednn==1", {
          "defines": ["BLASPROP_HAVE_ONEDNN=1"],
          "cflags_cc": ["-fopenmp"],
          "libraries": ["-ldnnl", "-lgomp"]
        }, {
          "defines": ["BLASPROP_HAVE_ONEDNN=0"]
        }],
        ["openblas_static==1", {
          "libraries": ["<!@(node scripts/find-openblas.js --static-libs)"],
          "conditions": [
            ["OS=='linux'", {
              "ldflags": [
                "-Wl,--exclude-libs,ALL",
                "-Wl,--gc-sections",
                "-Wl,--as-needed",
                "-Wl,-Bsymbolic",
                "-Wl,-z,noexecstack",
                "-static-libstdc++"
              ],
              "conditions": [
                # The libraries copied beside the binary: DT_RPATH $ORIGIN (--disable-new-dtags),
                # not DT_RUNPATH. A RUNPATH would serve only the binary's own NEEDED, not libdnnl's
                # libgomp.so.1 and libOpenCL.so.1 (the loader searches a library's dependencies with
                # that library's RUNPATH alone); an RPATH also serves the dependencies of the
                # libraries it loaded when they have no RUNPATH (Debian's libdnnl has none), so the
                # copies stay as Debian built them (no patchelf). And an RPATH comes before
                # LD_LIBRARY_PATH: another oneDNN on that path cannot replace the copy.
                ["onednn==1", {
                  "ldflags": ["-Wl,--disable-new-dtags", "-Wl,-rpath,'$$ORIGIN'"]
                }]
              ]
            }]
          ]
        }, {
          "libraries": ["<!@(node scripts/find-openblas.js --libs)"]
        }]
      ]
    }
  ]
}
