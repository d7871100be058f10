// "unknown key `SERVER_AGENCIE`; did you mean `SERVER_AGENCIES`?": the known setting name closest
// to a misspelled one, for the programs' settings checks (config.ini, config.yaml, SERVER_* and
// CLI_* variables).
#pragma once

#include <QString>
#include <QStringList>
#include <QStringView>

namespace lottery {

// Edit distance between `a` and `b`, ignoring case, where swapping two neighbouring characters
// counts as one edit (optimal string alignment): "SERVER_PROT" is 1 from "SERVER_PORT".
int settingNameDistance(QStringView a, QStringView b);

// The name in `known` closest to `unknown`, or empty when none is close enough to be what was
// meant: at most a third of the length of `unknown` without `sharedPrefix` (e.g. "SERVER_", which
// every candidate has and so says nothing), and at least 1. Ties go to the first in `known`.
QString closestSettingName(
    const QString &unknown, const QStringList &known, QStringView sharedPrefix = {});

} // namespace lottery
