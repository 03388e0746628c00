// astrolabe: observability for AI services — one binary, several roles.

#include <iostream>

#include <CLI/CLI.hpp>

#include "app/commands.h"
#include "app/demo_command.h"
#include "app/query_command.h"
#include "app/sim_command.h"
#include "app/version.h"

int main(int argc, char** argv) {
  using namespace astrolabe::app;
  CLI::App app{
      "Astrolabe: observability for AI services (NVIDIA NIM, vLLM, Kong AI Gateway).\n"
      "One binary: a drop-in OpenTelemetry Collector, and the platform it sends to.",
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
  DemoOptions demo;
  auto* demo_cmd = AddDemoCommand(app, demo);
  ServerOptions server;
  auto* server_cmd = app.add_subcommand(
      "server",
      "Run the platform: OTLP ingest (HTTP and gRPC) with API tokens, the API, health.\n"
      "The built-in pipeline is otlp + remote write -> store (metrics into DATA/tsdb,\n"
      "traces and logs into DATA/spans);\n"
      "--config files extend or override it (maps merge, lists are replaced) and the flags\n"
      "below override both. SIGINT/SIGTERM drain and stop; SIGHUP reloads. See docs/server.md.");
  server_cmd->add_option("-c,--config", server.config_files,
                         "Config file merged over the built-in pipeline (repeatable)")
      ->type_name("FILE");
  std::string data_dir = kDefaultDataDir, http = kDefaultHttp, otlp_http = kDefaultOtlpHttp,
              otlp_grpc = kDefaultOtlpGrpc, health = kDefaultHealth, auth = "token";
  auto* data_opt = server_cmd->add_option(
      "--data", data_dir, "Data directory (API tokens in DIR/tokens.json; the store's data)")
      ->type_name("DIR")->capture_default_str();
  auto* http_opt = server_cmd->add_option("--http", http, "API listener (query API, admin API, /metrics)")
      ->type_name("ADDR")->capture_default_str();
  auto* otlp_http_opt = server_cmd->add_option(
      "--otlp-http", otlp_http, "OTLP/HTTP listener (/v1/* and /api/v2/otlp/v1/*)")
      ->type_name("ADDR")->capture_default_str();
  auto* otlp_grpc_opt = server_cmd->add_option("--otlp-grpc", otlp_grpc, "OTLP/gRPC listener")
      ->type_name("ADDR")->capture_default_str();
  auto* health_opt = server_cmd->add_option("--health", health, "Health check listener")
      ->type_name("ADDR")->capture_default_str();
  server_cmd->add_option("--auth", auth,
                         "token: every ingest and API request needs an API token (the admin\n"
                         "token is printed on the first start); none: no tokens, allowed only\n"
                         "when every listener is on loopback")
      ->check(CLI::IsMember({"token", "none"}))
      ->capture_default_str();

  TokenOptions token;
  auto* token_cmd = app.add_subcommand(
      "token", "Manage API tokens (stored hashed in DATA/tokens.json; a running server\n"
               "picks up changes within a second)");
  token_cmd->require_subcommand(1);
  auto add_store_options = [&](CLI::App* cmd) {
    cmd->add_option("--data", token.data_dir, "Data directory of the server")
        ->type_name("DIR")
        ->default_str(kDefaultDataDir);
    cmd->add_option("--tokens-file", token.tokens_file, "The tokens file itself (overrides --data)")
        ->type_name("FILE");
  };
  auto* create_cmd = token_cmd->add_subcommand("create", "Create a token and print it (only this once)");
  create_cmd->add_option("--name", token.name, "What the token is for")->required();
  create_cmd->add_option("--scopes", token.scopes,
                         "Comma-separated: metrics.ingest, openTelemetryTrace.ingest,\n"
                         "logs.ingest, metrics.read, traces.read, settings.write")
      ->delimiter(',')
      ->required();
  add_store_options(create_cmd);
  auto* list_cmd = token_cmd->add_subcommand("list", "List tokens: id, name, created, status, scopes (never the secret)");
  add_store_options(list_cmd);
  auto* revoke_cmd = token_cmd->add_subcommand("revoke", "Revoke a token by id");
  revoke_cmd->add_option("id", token.id, "The token's id (12 hex characters)")->required();
  add_store_options(revoke_cmd);

  QueryOptions query;
  auto* query_cmd = AddQueryCommand(app, query);

  app.add_subcommand("version", "Print the version and exit");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (*collector_cmd) return RunCollector(collector);
  if (*validate_cmd) return RunValidate(validate);
  if (*sim_cmd) return RunSim(sim);
  if (*query_cmd) return RunQuery(query);
  if (*demo_cmd) return RunDemo(demo);
  if (*server_cmd) {
    ServerFlags& f = server.flags;
    if (data_opt->count() > 0) f.data_dir = data_dir;
    if (http_opt->count() > 0) f.http = http;
    if (otlp_http_opt->count() > 0) f.otlp_http = otlp_http;
    if (otlp_grpc_opt->count() > 0) f.otlp_grpc = otlp_grpc;
    if (health_opt->count() > 0) f.health = health;
    f.auth_none = auth == "none";
    return RunServer(server);
  }
  if (*token_cmd) {
    token.action = *create_cmd ? "create" : *list_cmd ? "list" : "revoke";
    return RunToken(token);
  }
  std::cout << BuildDescription() << "\n";
  return 0;
}
