// astrolabe: observability for AI services — one binary, several roles.

#include <iostream>

#include <CLI/CLI.hpp>

#include "app/commands.h"
#include "app/sim_command.h"
#include "app/version.h"

int main(int argc, char** argv) {
  using namespace astrolabe::app;
  CLI::App app{
      "Astrolabe: observability for AI services (NVIDIA NIM, vLLM, Kong AI Gateway).\n"
      "One binary: a drop-in OpenTelemetry Collector, and (soon) the platform it sends to.",
      "astrolabe"};
  app.require_subcommand(1);
  app.set_version_flag("--version", BuildDescription());

  CollectorOptions collector;
  auto* collector_cmd = app.add_subcommand(
      "collector",
      "Run pipelines from an OpenTelemetry Collector config. SIGINT/SIGTERM drain and stop;\n"
      "SIGHUP reloads the config (a bad new config keeps the running one).");
  collector_cmd->add_option("-c,--config", collector.config_files,
                            "Config file (repeatable; merged in order, later files win)")
      ->required()
      ->type_name("FILE");
  collector_cmd->add_option("--feature-gates", collector.feature_gates,
                            "Comma-separated feature gates (accepted for compatibility)")
      ->delimiter(',');

  ValidateOptions validate;
  auto* validate_cmd = app.add_subcommand(
      "validate",
      "Check a config: print it resolved (defaults filled in, secrets redacted), then every\n"
      "warning and error with file:line:column. Exit 0 when valid, 1 otherwise.");
  validate_cmd->add_option("-c,--config", validate.config_files, "Config file (repeatable)")
      ->type_name("FILE");
  validate_cmd->add_option("files", validate.config_files, "Config files, as with --config")
      ->type_name("FILE");
  validate_cmd->add_flag("--fix", validate.fix,
                         "Rewrite each file whose slips were forgiven (no-break-space indent,\n"
                         "list-in-list targets, pipelines without 'pipelines:', stray indent)\n"
                         "with the corrected YAML; the original is kept as FILE.orig");

  SimOptions sim;
  auto* sim_cmd = AddSimCommand(app, sim);

  app.add_subcommand("version", "Print the version and exit");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (*collector_cmd) return RunCollector(collector);
  if (*validate_cmd) return RunValidate(validate);
  if (*sim_cmd) return RunSim(sim);
  std::cout << BuildDescription() << "\n";
  return 0;
}
