//===- dl-opt.cpp - mlir-opt with the dl dialect and its passes -----------===//
//
// Every upstream dialect and pass, plus `dl`, `convert-dl-to-linalg` and the
// named pipelines `dl-lower-to-linalg` and `dl-lower-to-llvm`.
//
//===----------------------------------------------------------------------===//
#include "compiler/Pipelines/Pipelines.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  dlc::registerDialects(registry);
  dlc::registerPassesAndPipelines();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "dl-opt: the dl dialect optimizer driver\n", registry));
}
