#include "common/closest_key.h"

#include <algorithm>
#include <vector>

namespace lottery {

int settingNameDistance(QStringView a, QStringView b)
{
    const auto n = static_cast<std::size_t>(a.size());
    const auto m = static_cast<std::size_t>(b.size());
    // d[i][j]: the distance between a's first i characters and b's first j, row by row.
    std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
    for (std::size_t i = 0; i <= n; ++i)
        d[i][0] = static_cast<int>(i);
    for (std::size_t j = 0; j <= m; ++j)
        d[0][j] = static_cast<int>(j);
    const auto same = [&](std::size_t i, std::size_t j) {
        return a[qsizetype(i)].toCaseFolded() == b[qsizetype(j)].toCaseFolded();
    };
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const int cost = same(i - 1, j - 1) ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && same(i - 1, j - 2) && same(i - 2, j - 1))
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

QString closestSettingName(
    const QString &unknown, const QStringList &known, QStringView sharedPrefix)
{
    qsizetype distinctive = unknown.size();
    if (!sharedPrefix.isEmpty() && unknown.startsWith(sharedPrefix, Qt::CaseInsensitive))
        distinctive -= sharedPrefix.size();
    const int limit = std::max<int>(1, static_cast<int>(distinctive / 3));
    QString best;
    int bestDistance = limit + 1;
    for (const QString &name : known) {
        const int distance = settingNameDistance(unknown, name);
        if (distance < bestDistance) {
            best = name;
            bestDistance = distance;
        }
    }
    return best;
}

} // namespace lottery
