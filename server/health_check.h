// `lottery-server --health-check`: the Docker HEALTHCHECK. Asks the running server's admin
// endpoint (this configuration's SERVER_ADMIN_PORT, on loopback) for GET /readyz and exits 0 when
// it answers 200, 1 otherwise; no curl needed in the image. It reads only the status line and
// the one-line body of its own server's answer.
#pragma once

#include "server/server_config.h"

namespace lottery::server {

// The address the probe connects to: loopback when the endpoint listens on every address.
QString healthCheckHost(const ServerConfig &config);
bool healthCheckUsesTls(const ServerConfig &config);

int runHealthCheck(const ServerConfig &config);

} // namespace lottery::server
