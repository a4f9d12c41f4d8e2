#!/bin/bash
# Builds bench/onednn/products.cpp against the system OpenBLAS and oneDNN (Debian: libopenblas-dev,
# libdnnl-dev) into bench/.build/ and runs it once per thread count given (default: 1 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/../.build"
bin="$here/../.build/onednn-products"
g++ -O2 -std=c++17 -fopenmp "$here/products.cpp" -o "$bin" $(pkg-config --cflags --libs openblas) -ldnnl
for t in "${@:-1 2}"; do
  for n in $t; do "$bin" "$n"; done
done
