#!/usr/bin/env bash
# Installs every Debian package blasprop builds against and its tests use, on Debian 12 (as root,
# or with sudo). The README's quick start and CI's .ci/run both run it.
#   base        OpenBLAS, CMake, a C++ compiler: the native addon
#   oneDNN      libdnnl-dev: the oneDNN engine and bfloat16 (optional in the source builds; the
#               x64 prebuild carries its libraries); util-linux and mount (unshare, mount --bind)
#               for the package test, which hides the system's copies in a mount namespace
#   Open MPI    openmpi-bin, libopenmpi-dev: the MPI module and the distributed tests; iproute2 for
#               the test across two network namespaces
#   wasm        clang, lld, wasi-libc and the wasm32 C++ runtime: the WebAssembly engine
#   arm64       the aarch64 cross compiler, static arm64 OpenBLAS and qemu-user: the linux-arm64
#               prebuild and its test (arm64 packages come from the same Debian archive)
set -euo pipefail

packages=(
  libopenblas-dev libopenblas-pthread-dev pkg-config cmake g++ make python3
  libdnnl-dev util-linux mount
  openmpi-bin libopenmpi-dev iproute2
  clang lld wasi-libc libc++-dev-wasm32 libc++abi-14-dev-wasm32 libclang-rt-dev-wasm32
  g++-aarch64-linux-gnu binutils-aarch64-linux-gnu libopenblas-pthread-dev:arm64 qemu-user-static
)

update=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  update=1
fi
need=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ] || [ "$update" = 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  [ "${#need[@]}" -eq 0 ] || apt-get install -y -qq "${need[@]}"
fi
