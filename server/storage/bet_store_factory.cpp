#include "server/storage/bet_store_factory.h"
#include "server/storage/file_bet_store.h"
#include "server/storage/postgres_bet_store.h"

namespace lottery::server {

std::unique_ptr<BetStore> makeBetStore(const ServerConfig &config)
{
    if (config.usesDatabase())
        return std::make_unique<PostgresBetStore>(config.database, config.agencies);
    return std::make_unique<FileBetStore>(config.storagePath, config.agencies);
}

} // namespace lottery::server
