// The operator's explicit actions on a stopped store, each run instead of the server:
//   lottery-server --repair          moves what recovery cannot vouch for into side files
//   lottery-server --set-agencies N  records a new expected agency count (the lottery's identity)
// Both take the usual --storage / --database / --config, log what they did, and exit.
#pragma once

#include "server/server_config.h"

namespace lottery::server {

// 0: repaired (or nothing to repair); 1: could not (the files are as they were, or an I/O error
// says what is left where).
int repairStore(const ServerConfig &config);

// 0: recorded (or already so); 2: refused (an agency is done, the draw ran, an agency above N
// has bets, or the store is damaged); 1: an I/O or database error.
int setStoreAgencies(const ServerConfig &config, quint32 agencies);

} // namespace lottery::server
