// The order of each agency's store requests: its WELCOME read, its batches and its DONE. Main
// thread only. At most one request per agency is in the store at a time; the others wait here,
// in the order they came, and start when the one before them has been answered (finished()).
//
// This is the one rule that keeps a WELCOME true: a new session of an agency (a reconnect, a
// takeover) is welcomed with the agency's durable progress only after every write its previous
// session handed over has been decided and answered, because its welcome queues behind them.
// No pool thread ever waits for another request of the same agency (a welcome that waited in a
// worker could hold the very thread the write before it needs).
//
// Bound: a session has at most one request here (it reads nothing more while one is pending),
// so the requests waiting are bounded by the connections (ConnectionListener's limit).
#pragma once

#include <QHash>
#include <QtGlobal>

#include <deque>
#include <functional>

namespace lottery::server {

class AgencyRequestQueue
{
public:
    // Starts a request: true once it is in the store (its answer will call finished()); false
    // when it is no longer wanted (its session went while it waited), and the next one starts.
    using Start = std::function<bool()>;

    // Starts `start` now when no request of `agency` is in the store, else queues it behind.
    void submit(quint32 agency, Start start);
    // The request of `agency` in the store has been answered: the next one waiting starts.
    void finished(quint32 agency);

    // A request of `agency` is in the store.
    bool busy(quint32 agency) const { return m_agencies.contains(agency); }
    // Requests waiting behind another of their agency, in all (the status page's gauge).
    int waiting() const { return m_waiting; }
    // Shutdown: forgets every request still waiting (none of them started).
    void clear();

private:
    // Starts the first waiting request of `agency` that still wants to start; forgets the
    // agency when none does.
    void startNext(quint32 agency);

    // Agencies with a request in the store -> the requests waiting behind it, in order.
    QHash<quint32, std::deque<Start>> m_agencies;
    int m_waiting = 0;
};

} // namespace lottery::server
