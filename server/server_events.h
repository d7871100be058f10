// What the server reports as it goes, for whoever watches it: the seam between the core and the
// operator's view. The core calls these on its main thread, once per decision or worker task's
// result (never per bet); it knows nothing of counters, histograms or HTTP. The admin target's
// ServerMetrics (server/admin/server_metrics.h) implements them; without a watcher
// (LotteryServer::setEvents() not called) nothing is recorded.
#pragma once

#include "server/net/peer_limits.h"
#include "server/pipeline/worker_tasks.h"
#include "server/storage/bet_store.h"

#include "lottery/protocol/errors.h"

#include <QString>

#include <vector>

namespace lottery::server {

class ServerEvents
{
public:
    virtual ~ServerEvents() = default;

    // An agency as the store's recovery found it (before any session).
    virtual void agencyRecovered(quint32 agency, quint64 bets, quint64 batches, bool done) = 0;
    // One worker task's outcomes for an agency, in order, and how long the task took
    // (validate, write, sync); peer: the session's address.
    virtual void batchesDecided(quint32 agency, const std::vector<BatchOutcome> &outcomes,
        qint64 taskNs, const QString &peer)
        = 0;
    // A DONE stored (error empty) or failed.
    virtual void doneDecided(quint32 agency, const QString &error) = 0;
    // An ERROR sent to a peer (the connection closes): agency 0 before an accepted HELLO, then
    // claimedAgency is what a refused HELLO claimed (0: none); peer empty when not known.
    virtual void errorSent(
        quint32 agency, protocol::ErrorCode code, const QString &peer, quint32 claimedAgency)
        = 0;
    // A peer ran into one of the limits of server/net/peer_limits.h.
    virtual void limitReached(PeerLimit limit) = 0;
    virtual void drawStarted() = 0;
    virtual void drawFinished(const DrawResult &result, qint64 elapsedMs) = 0;
};

// The watcher of a server nobody watches.
class NoServerEvents final : public ServerEvents
{
public:
    void agencyRecovered(quint32, quint64, quint64, bool) override { }
    void batchesDecided(
        quint32, const std::vector<BatchOutcome> &, qint64, const QString &) override
    {
    }
    void doneDecided(quint32, const QString &) override { }
    void errorSent(quint32, protocol::ErrorCode, const QString &, quint32) override { }
    void limitReached(PeerLimit) override { }
    void drawStarted() override { }
    void drawFinished(const DrawResult &, qint64) override { }
};

} // namespace lottery::server
