// Which store a server opens: the PostgreSQL store when SERVER_DATABASE / --database names a
// database, else the embedded file store on SERVER_STORAGE.
#pragma once

#include "server/server_config.h"
#include "server/storage/bet_store.h"

#include <memory>

namespace lottery::server {

std::unique_ptr<BetStore> makeBetStore(const ServerConfig &config);

} // namespace lottery::server
