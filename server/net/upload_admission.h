// Upload admission, on the main thread: which sessions may read BATCH frames now. Two bounds: at
// most `slots` sessions at once, and together at most `budget` bytes of read buffer. Each session
// reserves what it has waiting (its socket's pending bytes, at least one whole frame, at most one
// task's buffer), so ten thousand agencies with a few hundred bets each read at once, while ten
// thousand with a million each take turns with their batches in the kernel. Without it, a flood
// of agencies makes the server read every one of their batches into memory long before the
// workers can store them (docs/PERFORMANCE.md).
//
// The one owner of the mechanism (the model is Qt's torrent example's RateController): the queue,
// every holder's reservation, and the grants. A session asks (request), grows (resize) and gives
// back (release); when a slot comes back the admission itself grants the sessions waiting, in
// arrival order, while the first one fits. The session decides only when to give its slot back
// (after a task when others wait, when idle, when parked on GET_WINNERS, at DONE, on close):
// docs/SECURITY.md, "Every peer bounded", states the resulting bound on an honest agency's wait.
#pragma once

#include <QHash>
#include <QtGlobal>

#include <deque>
#include <utility>

namespace lottery::server {

class UploadAdmission
{
public:
    // A session, as the admission sees it.
    class Client
    {
    public:
        virtual ~Client() = default;
        // The bytes a slot should give this client now (asked again when its turn comes).
        virtual qint64 admissionBytesWanted() const = 0;
        // Its turn came: it holds a slot of `bytes` from now on.
        virtual void admitted(qint64 bytes) = 0;
    };

    explicit UploadAdmission(int slotCount = 4096, qint64 budgetBytes = 32LL << 20)
        : m_capacity(qMax(1, slotCount)), m_budget(qMax<qint64>(1, budgetBytes))
    {
    }

    void setLimits(int slotCount, qint64 budgetBytes)
    {
        m_capacity = qMax(1, slotCount);
        m_budget = qMax<qint64>(1, budgetBytes);
    }

    // True: `client` holds a slot of `bytes` now. False: it waits, behind the clients already
    // waiting; admitted() follows when its turn comes. A holder or a waiter asking again: as is.
    bool request(Client &client, qint64 bytes);
    // A holder's reservation becomes `bytes`: shrinking always works; growing only within the
    // budget and while nobody waits (they go first). False: unchanged.
    bool resize(Client &client, qint64 bytes);
    // The client gives its slot back, or leaves the queue; then the waiting are granted.
    void release(Client &client);
    // Forgets every holder and waiter, granting nothing: the server is being destroyed and its
    // sessions with it.
    void clear()
    {
        m_holders.clear();
        m_queue.clear();
        m_queued.clear();
        m_reserved = 0;
    }

    bool holds(const Client &client) const { return m_holders.contains(&client); }
    bool isWaiting(const Client &client) const { return m_queued.contains(&client); }
    // The holder's slot, in bytes (0: none).
    qint64 reservation(const Client &client) const { return m_holders.value(&client, 0); }
    bool contended() const { return !m_queued.isEmpty(); }

    int capacity() const { return m_capacity; }
    qint64 budget() const { return m_budget; }
    int inUse() const { return static_cast<int>(m_holders.size()); }
    qint64 bytesReserved() const { return m_reserved; }
    int waiting() const { return static_cast<int>(m_queued.size()); }

private:
    // A slot of `bytes` would fit now. The first slot always fits, whatever its size.
    bool fits(qint64 bytes) const;
    void take(Client &client, qint64 bytes);
    // Grants the waiting clients, in order, while the first one fits.
    void grantWaiting();

    int m_capacity;
    qint64 m_budget;
    qint64 m_reserved = 0;
    QHash<const Client *, qint64> m_holders; // holder -> its slot's bytes
    // Arrival order. A client that left the queue leaves its entry behind (skipped when reached):
    // each entry carries the ticket it was queued with, which m_queued holds while it waits.
    std::deque<std::pair<Client *, quint64>> m_queue;
    QHash<const Client *, quint64> m_queued;
    quint64 m_nextTicket = 1;
    bool m_granting = false; // admitted() may release or request: no nested grant loop
};

} // namespace lottery::server
