// Upload admission, on the main thread: at most `capacity` sessions read BATCH frames at once;
// the others wait in arrival order with their batches in the kernel. Without it, ten thousand
// agencies starting at once make the server read every one of their batches into memory long
// before the workers can store them (docs/PERFORMANCE.md). A session holds its slot for one
// worker task and gives it back when others wait, so the slots go round.
#pragma once

#include <QtGlobal>

#include <deque>

namespace lottery::server {

class UploadSlots
{
public:
    explicit UploadSlots(int capacity = 256) : m_capacity(qMax(1, capacity)) { }

    void setCapacity(int capacity) { m_capacity = qMax(1, capacity); }
    int capacity() const { return m_capacity; }
    int inUse() const { return m_inUse; }
    int waiting() const { return static_cast<int>(m_waiting.size()); }
    bool contended() const { return !m_waiting.empty(); }

    // True: `session` has a slot now. False: it is queued (once) for the next free one.
    bool acquire(quint64 session)
    {
        if (m_waiting.empty() && m_inUse < m_capacity) {
            ++m_inUse;
            return true;
        }
        m_waiting.push_back(session);
        return false;
    }

    // A slot comes back; returns the waiting session it now belongs to, or 0 (none waits).
    // Sessions that went away meanwhile are skipped by the caller, which releases again.
    quint64 release()
    {
        if (m_waiting.empty()) {
            --m_inUse;
            return 0;
        }
        const quint64 next = m_waiting.front();
        m_waiting.pop_front();
        return next; // the slot passes on: m_inUse unchanged
    }

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
    int m_inUse = 0;
    std::deque<quint64> m_waiting;
};

} // namespace lottery::server
