# lit configuration for dlc: IR tests (.mlir) run through dl-opt, language
# and tool tests (.dl) through dlc; both checked with FileCheck.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "dlc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".dl"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py",
                   "unit", "e2e"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.dlc_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.dlc_tools_dir, append_path=True)
config.substitutions.append(("%examples", os.path.join(config.dlc_src_root,
                                                       "examples")))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root,
                                                     "Inputs")))
config.substitutions.append(("%python", "/usr/bin/python3"))
llvm_config.add_tool_substitutions(["dlc", "dl-opt", "train_mlp"], [config.dlc_tools_dir])
# Running lowered IR (mlir-runner): its printing library and the host's
# lowering of loops to the LLVM dialect.
config.substitutions.append(("%mlir_runner_utils", os.path.join(
    os.path.dirname(config.llvm_tools_dir), "lib", "libmlir_runner_utils.so")))
config.substitutions.append(("%host_llvm",
    "convert-scf-to-cf,expand-strided-metadata,lower-affine,"
    "finalize-memref-to-llvm,convert-arith-to-llvm,convert-index-to-llvm,"
    "convert-cf-to-llvm,convert-func-to-llvm,reconcile-unrealized-casts"))

# The GPU target: `ptxas` (CUDA toolkit) assembles generated PTX; a real
# driver and GPU run it (libcuda.so.1 loads and finds a device); otherwise
# tests marked REQUIRES: cuda-device are reported UNSUPPORTED. The fake driver
# (test/fake-cuda) exercises the host side everywhere.
import ctypes
import shutil

cuda_home = os.environ.get("CUDA_HOME", "/usr/local/cuda")
ptxas = shutil.which("ptxas") or (os.path.join(cuda_home, "bin", "ptxas")
                                  if os.path.exists(os.path.join(cuda_home, "bin", "ptxas"))
                                  else None)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
try:
    driver = ctypes.CDLL("libcuda.so.1")
    count = ctypes.c_int(0)
    if driver.cuInit(0) == 0 and driver.cuDeviceGetCount(ctypes.byref(count)) == 0 \
            and count.value > 0:
        config.available_features.add("cuda-device")
except OSError:
    pass
config.substitutions.append(("%fakecuda", os.path.join(config.dlc_obj_root, "lib",
                                                       "fake-cuda", "libcuda.so.1")))
