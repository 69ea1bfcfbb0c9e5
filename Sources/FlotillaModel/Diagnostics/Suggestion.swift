/// Finds the nearest valid spelling for a misspelled key, for "did you mean 'X'?" hints.
public enum Suggestion {
    /// The candidate closest to `word` (case-insensitive edit distance), if it is close enough to
    /// be a plausible typo: at most 1 edit for words up to 4 characters, otherwise up to a third
    /// of the word's length. Ties go to the earlier candidate.
    public static func nearest(to word: String, among candidates: [String]) -> String? {
        let lowered = Array(word.lowercased())
        let limit = lowered.count <= 4 ? 1 : max(2, lowered.count / 3)
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, Array(candidate.lowercased()))
            if distance <= limit, best == nil || distance < best!.1 {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    /// `" (did you mean 'X'?)"` or the empty string.
    public static func hint(for word: String, among candidates: [String]) -> String {
        guard let match = nearest(to: word, among: candidates), match != word else { return "" }
        return "; did you mean '\(match)'?"
    }

    /// Damerau-Levenshtein distance (adjacent transpositions count as one edit).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = Swift.min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
