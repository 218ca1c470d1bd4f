# Native CPU backend (issue 3). Built from source by `npm install` (scripts/build-native.mjs).
# Each ISA level is its own static library so that only its files get -mavx2/-mavx512f flags;
# the running CPU picks the level at load time (never -march=native).
{
  "targets": [
    {
      "target_name": "strata_scalar_ew",
      "type": "static_library",
      "sources": [
        "src/backend/native/cpp/isa_scalar_ew.cpp"
      ],
      "cflags": [
        "-O3",
        "-fPIC",
        "-fvisibility=hidden",
        "-Wno-psabi",
        "-Wno-unused-parameter",
        "-ffp-contract=off"
      ],
      "cflags_cc!": [
        "-fno-exceptions"
      ],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": [
          "-std=gnu++17",
          "-O3",
          "-fPIC",
          "-fvisibility=hidden",
          "-Wno-psabi",
          "-Wno-unused-parameter",
          "-ffp-contract=off"
        ],
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES"
      }
    },
    {
      "target_name": "strata_scalar_gemm",
      "type": "static_library",
      "sources": [
        "src/backend/native/cpp/isa_scalar_gemm.cpp"
      ],
      "cflags": [
        "-O3",
        "-fPIC",
        "-fvisibility=hidden",
        "-Wno-psabi",
        "-Wno-unused-parameter",
        "-ffp-contract=fast"
      ],
      "cflags_cc!": [
        "-fno-exceptions"
      ],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": [
          "-std=gnu++17",
          "-O3",
          "-fPIC",
          "-fvisibility=hidden",
          "-Wno-psabi",
          "-Wno-unused-parameter",
          "-ffp-contract=fast"
        ],
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES"
      }
    },
    {
      "target_name": "strata_native",
      "sources": [
        "src/backend/native/cpp/addon.cpp",
        "src/backend/native/cpp/threadpool.cpp",
        "src/backend/native/cpp/cpu.cpp",
        "src/backend/native/cpp/pooled_arrays.cpp"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags": [
        "-O3",
        "-fvisibility=hidden",
        "-Wno-unused-parameter"
      ],
      "cflags!": [
        "-fno-exceptions"
      ],
      "cflags_cc!": [
        "-fno-exceptions"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": [
          "-std=gnu++17",
          "-O3"
        ]
      },
      "dependencies": [
        "strata_scalar_ew",
        "strata_scalar_gemm"
      ],
      "conditions": [
        [
          "target_arch=='x64'",
          {
            "dependencies": [
              "strata_avx2_ew",
              "strata_avx2_gemm",
              "strata_avx512_ew",
              "strata_avx512_gemm",
              "strata_avx512sim_ew",
              "strata_avx512sim_gemm"
            ]
          }
        ]
      ]
    }
  ],
  "conditions": [
    [
      "target_arch=='x64'",
      {
        "targets": [
          {
            "target_name": "strata_avx2_ew",
            "type": "static_library",
            "sources": [
              "src/backend/native/cpp/isa_avx2_ew.cpp"
            ],
            "cflags": [
              "-O3",
              "-fPIC",
              "-fvisibility=hidden",
              "-Wno-psabi",
              "-Wno-unused-parameter",
              "-mavx2",
              "-mfma",
              "-ffp-contract=off"
            ],
            "cflags_cc!": [
              "-fno-exceptions"
            ],
            "xcode_settings": {
              "OTHER_CPLUSPLUSFLAGS": [
                "-std=gnu++17",
                "-O3",
                "-fPIC",
                "-fvisibility=hidden",
                "-Wno-psabi",
                "-Wno-unused-parameter",
                "-mavx2",
                "-mfma",
                "-ffp-contract=off"
              ],
              "GCC_ENABLE_CPP_EXCEPTIONS": "YES"
            }
          },
          {
            "target_name": "strata_avx2_gemm",
            "type": "static_library",
            "sources": [
              "src/backend/native/cpp/isa_avx2_gemm.cpp"
            ],
            "cflags": [
              "-O3",
              "-fPIC",
              "-fvisibility=hidden",
              "-Wno-psabi",
              "-Wno-unused-parameter",
              "-mavx2",
              "-mfma",
              "-ffp-contract=fast"
            ],
            "cflags_cc!": [
              "-fno-exceptions"
            ],
            "xcode_settings": {
              "OTHER_CPLUSPLUSFLAGS": [
                "-std=gnu++17",
                "-O3",
                "-fPIC",
                "-fvisibility=hidden",
                "-Wno-psabi",
                "-Wno-unused-parameter",
                "-mavx2",
                "-mfma",
                "-ffp-contract=fast"
              ],
              "GCC_ENABLE_CPP_EXCEPTIONS": "YES"
            }
          },
          {
            "target_name": "strata_avx512_ew",
            "type": "static_library",
            "sources": [
              "src/backend/native/cpp/isa_avx512_ew.cpp"
            ],
            "cflags": [
              "-O3",
              "-fPIC",
              "-fvisibility=hidden",
              "-Wno-psabi",
              "-Wno-unused-parameter",
              "-mavx512f",
              "-mavx512vl",
              "-mavx512bw",
              "-mavx512dq",
              "-mavx2",
              "-mfma",
              "-ffp-contract=off"
            ],
            "cflags_cc!": [
              "-fno-exceptions"
            ],
            "xcode_settings": {
              "OTHER_CPLUSPLUSFLAGS": [
                "-std=gnu++17",
                "-O3",
                "-fPIC",
                "-fvisibility=hidden",
                "-Wno-psabi",
                "-Wno-unused-parameter",
                "-mavx512f",
                "-mavx512vl",
                "-mavx512bw",
                "-mavx512dq",
                "-mavx2",
                "-mfma",
                "-ffp-contract=off"
              ],
              "GCC_ENABLE_CPP_EXCEPTIONS": "YES"
            }
          },
          {
            "target_name": "strata_avx512_gemm",
            "type": "static_library",
            "sources": [
              "src/backend/native/cpp/isa_avx512_gemm.cpp"
            ],
            "cflags": [
              "-O3",
              "-fPIC",
              "-fvisibility=hidden",
              "-Wno-psabi",
              "-Wno-unused-parameter",
              "-mavx512f",
              "-mavx512vl",
              "-mavx512bw",
              "-mavx512dq",
              "-mavx2",
              "-mfma",
              "-ffp-contract=fast"
            ],
            "cflags_cc!": [
              "-fno-exceptions"
            ],
            "xcode_settings": {
              "OTHER_CPLUSPLUSFLAGS": [
                "-std=gnu++17",
                "-O3",
                "-fPIC",
                "-fvisibility=hidden",
                "-Wno-psabi",
                "-Wno-unused-parameter",
                "-mavx512f",
                "-mavx512vl",
                "-mavx512bw",
                "-mavx512dq",
                "-mavx2",
                "-mfma",
                "-ffp-contract=fast"
              ],
              "GCC_ENABLE_CPP_EXCEPTIONS": "YES"
            }
          },
          {
            "target_name": "strata_avx512sim_ew",
            "type": "static_library",
            "sources": [
              "src/backend/native/cpp/isa_avx512sim_ew.cpp"
            ],
            "cflags": [
              "-O3",
              "-fPIC",
              "-fvisibility=hidden",
              "-Wno-psabi",
              "-Wno-unused-parameter",
              "-mavx2",
              "-mfma",
              "-ffp-contract=off"
            ],
            "cflags_cc!": [
              "-fno-exceptions"
            ],
            "xcode_settings": {
              "OTHER_CPLUSPLUSFLAGS": [
                "-std=gnu++17",
                "-O3",
                "-fPIC",
                "-fvisibility=hidden",
                "-Wno-psabi",
                "-Wno-unused-parameter",
                "-mavx2",
                "-mfma",
                "-ffp-contract=off"
              ],
              "GCC_ENABLE_CPP_EXCEPTIONS": "YES"
            }
          },
          {
            "target_name": "strata_avx512sim_gemm",
            "type": "static_library",
            "sources": [
              "src/backend/native/cpp/isa_avx512sim_gemm.cpp"
            ],
            "cflags": [
              "-O3",
              "-fPIC",
              "-fvisibility=hidden",
              "-Wno-psabi",
              "-Wno-unused-parameter",
              "-mavx2",
              "-mfma",
              "-ffp-contract=fast"
            ],
            "cflags_cc!": [
              "-fno-exceptions"
            ],
            "xcode_settings": {
              "OTHER_CPLUSPLUSFLAGS": [
                "-std=gnu++17",
                "-O3",
                "-fPIC",
                "-fvisibility=hidden",
                "-Wno-psabi",
                "-Wno-unused-parameter",
                "-mavx2",
                "-mfma",
                "-ffp-contract=fast"
              ],
              "GCC_ENABLE_CPP_EXCEPTIONS": "YES"
            }
          }
        ]
      }
    ]
  ]
}
