// HELLO token checks (PBKDF2, ~0.1-0.2 s of CPU each): the one owner of the checks waiting and
// running, in the main thread. A flood of HELLOs with wrong tokens is bounded here:
//   - at most `threads` checks run at once (the auth pool's threads), the rest wait here, not in
//     the pool, so a connection that closes while it waits is dropped before any PBKDF2 work
//     (cancel(), and the liveness check just before a check starts);
//   - at most `maxPending` checks in all and `maxPendingPerAddress` from one peer address: a
//     HELLO beyond that is refused at once (the caller answers ERROR(ServerBusy), which agencies
//     retry);
//   - waiting checks start round-robin by peer address, so a flood from one address delays an
//     agency at another by at most one check per address ahead of it.
// Every outcome, a cancelled one included, reaches `deliver` (the server logs each).
#pragma once

#include "server/net/credentials.h"
#include "server/pipeline/pool_dispatcher.h"

#include <QByteArray>
#include <QHash>
#include <QString>

#include <deque>
#include <functional>

namespace lottery::server {

class TokenCheckQueue
{
public:
    struct Limits {
        int threads = 2; // checks at once; the auth pool has as many threads
        // Checks waiting or running, in all: with 2 threads at ~0.15 s, 256 clear in ~20 s.
        int maxPending = 256;
        // ... and from one peer address: a flood from one address cannot fill the queue.
        int maxPendingPerAddress = 32;
    };

    enum class Result { Accepted, WrongToken, MissingToken, Cancelled };
    struct Outcome {
        quint64 session = 0;
        quint32 agency = 0;
        QString peer;
        Result result = Result::Cancelled;
    };
    using Deliver = std::function<void(const Outcome &)>;
    // Whether the session of a check is still worth the work (its connection is open).
    using IsAlive = std::function<bool(quint64 session)>;

    TokenCheckQueue(PoolDispatcher &workers, Limits limits);
    TokenCheckQueue(const TokenCheckQueue &) = delete;
    TokenCheckQueue &operator=(const TokenCheckQueue &) = delete;

    void setCredentials(const CredentialStore *store) { m_store = store; }
    void setDeliver(Deliver deliver) { m_deliver = std::move(deliver); }
    void setIsAlive(IsAlive isAlive) { m_isAlive = std::move(isAlive); }
    const Limits &limits() const { return m_limits; }

    // Queues the check of `token` for `agency`; false when the queue or the address's share is
    // full (nothing queued).
    bool submit(quint64 session, const QString &peer, quint32 agency, QByteArray token);
    // The session's connection is gone: a check not yet started is dropped (delivered as
    // Cancelled). A running one finishes and is delivered as usual.
    void cancel(quint64 session);
    // Checks waiting or running.
    int pending() const { return m_waiting + m_running; }
    // Shutdown: forgets the waiting checks without delivering them.
    void clear();

private:
    struct Check {
        quint64 session = 0;
        quint32 agency = 0;
        QString peer;
        QByteArray token;
    };
    void startChecks();
    void finish(const Outcome &outcome);

    PoolDispatcher &m_workers;
    const Limits m_limits;
    const CredentialStore *m_store = nullptr;
    Deliver m_deliver;
    IsAlive m_isAlive;
    QHash<QString, std::deque<Check>> m_byAddress; // waiting checks of each address, in order
    std::deque<QString> m_turns; // addresses with waiting checks, in the order they go next
    QHash<QString, int> m_pendingByAddress; // waiting + running, per address
    int m_waiting = 0;
    int m_running = 0;
};

} // namespace lottery::server
