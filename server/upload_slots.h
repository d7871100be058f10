// Upload admission, on the main thread: which sessions may read BATCH frames now. Two bounds:
// at most `capacity` sessions at once, and together at most `budget` bytes of read buffer. Each
// session reserves what it has waiting (its socket's pending bytes, at least one whole frame, at
// most one task's buffer), so ten thousand agencies with a few hundred bets each read at once,
// while ten thousand with a million each take turns with their batches in the kernel. Without
// it, a flood of agencies makes the server read every one of their batches into memory long
// before the workers can store them (docs/PERFORMANCE.md). The others wait in arrival order; a
// session gives its slot back after a task when others wait, so the slots go round.
#pragma once

#include <QtGlobal>

#include <deque>

namespace lottery::server {

class UploadSlots
{
public:
    explicit UploadSlots(int capacity = 4096, qint64 budgetBytes = 32LL << 20)
        : m_capacity(qMax(1, capacity)), m_budget(qMax<qint64>(1, budgetBytes))
    {
    }

    void setCapacity(int capacity) { m_capacity = qMax(1, capacity); }
    void setBudget(qint64 bytes) { m_budget = qMax<qint64>(1, bytes); }
    int capacity() const { return m_capacity; }
    qint64 budget() const { return m_budget; }
    int inUse() const { return m_inUse; }
    qint64 bytesReserved() const { return m_reserved; }
    int waiting() const { return static_cast<int>(m_waiting.size()); }
    bool contended() const { return !m_waiting.empty(); }

    // A slot with `bytes` of buffer would fit now. The first slot always fits, whatever its size.
    bool fits(qint64 bytes) const
    {
        return m_inUse < m_capacity && (m_inUse == 0 || m_reserved + bytes <= m_budget);
    }

    // True: `session` holds a slot of `bytes` now. False: it is queued (once), behind the
    // sessions already waiting.
    bool acquire(quint64 session, qint64 bytes)
    {
        if (m_waiting.empty() && fits(bytes)) {
            take(bytes);
            return true;
        }
        m_waiting.push_back(session);
        return false;
    }

    void take(qint64 bytes)
    {
        ++m_inUse;
        m_reserved += bytes;
    }

    // A slot of `bytes` comes back; the caller then grants the waiting sessions that fit.
    void release(qint64 bytes)
    {
        --m_inUse;
        m_reserved -= bytes;
    }

    // A holder's reservation changes; growing is refused while it would not fit or others wait.
    bool resize(qint64 from, qint64 to)
    {
        if (to > from && (contended() || m_reserved - from + to > m_budget))
            return false;
        m_reserved += to - from;
        return true;
    }

    // The first waiting session, or 0.
    quint64 firstWaiting() const { return m_waiting.empty() ? 0 : m_waiting.front(); }
    void dropFirstWaiting() { m_waiting.pop_front(); }

    // A queued session that went away before its turn.
    void forget(quint64 session)
    {
        for (auto it = m_waiting.begin(); it != m_waiting.end(); ++it) {
            if (*it == session) {
                m_waiting.erase(it);
                return;
            }
        }
    }

private:
    int m_capacity;
    qint64 m_budget;
    int m_inUse = 0;
    qint64 m_reserved = 0;
    std::deque<quint64> m_waiting;
};

} // namespace lottery::server
