// LIST_STORED answers (protocol version 2): each reads part of one agency's rows back from the
// store (BetStore::readStoredBets), so at most kMaxRunning of them run in the pool at once and
// the rest wait their turn in arrival order. The wait is bounded by the sessions: a session reads
// nothing more until its listing is answered, so it has at most one here. Main thread only.
#pragma once

#include "server/pipeline/pool_dispatcher.h"
#include "server/storage/bet_store.h"

#include <QString>

#include <deque>
#include <functional>
#include <vector>

namespace lottery::server {

class StoredListQueue
{
public:
    // Listings reading the store at once: the batches' commits keep the other pool threads.
    static constexpr int kMaxRunning = 2;

    struct Result {
        bool ok = false;
        std::vector<protocol::Bet> bets; // ok: the bets asked for, in storage order
        QString error; // !ok: why
    };
    // Called on the main thread with the listing's result.
    using Deliver = std::function<void(Result &&result)>;

    explicit StoredListQueue(PoolDispatcher &workers) : m_workers(workers) { }
    StoredListQueue(const StoredListQueue &) = delete;
    StoredListQueue &operator=(const StoredListQueue &) = delete;

    void setStore(BetStore *store) { m_store = store; }
    // Runs the listing now if fewer than kMaxRunning run, else when its turn comes. Returns
    // false when it had to wait (for the metrics).
    bool submit(quint32 agency, quint64 from, quint32 count, Deliver deliver);

    int running() const { return m_running; }
    int waiting() const { return static_cast<int>(m_waiting.size()); }

private:
    struct Listing {
        quint32 agency = 0;
        quint64 from = 0;
        quint32 count = 0;
        Deliver deliver;
    };
    void start(Listing listing);

    PoolDispatcher &m_workers;
    BetStore *m_store = nullptr;
    std::deque<Listing> m_waiting;
    int m_running = 0;
};

} // namespace lottery::server
