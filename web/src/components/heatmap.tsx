/**
 * A confusion matrix as a heatmap: rows are the actual class, columns the predicted one; each cell's shade is its
 * share of the row, so a good model shows a dark diagonal whatever the class sizes.
 */
export function ConfusionHeatmap({ matrix, classes }: { matrix: readonly (readonly number[])[]; classes: readonly string[] }) {
  return (
    <table class="heatmap" aria-label="Confusion matrix">
      <caption>Confusion matrix (rows: actual, columns: predicted)</caption>
      <thead>
        <tr>
          <th scope="col">actual \ predicted</th>
          {classes.map((name) => (
            <th scope="col" key={name}>
              {name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {matrix.map((row, i) => {
          const total = row.reduce((sum, count) => sum + count, 0) || 1;
          return (
            <tr key={classes[i] ?? i}>
              <th scope="row">{classes[i] ?? i}</th>
              {row.map((count, j) => {
                const share = count / total;
                return (
                  <td
                    key={j}
                    class="heat"
                    style={{ backgroundColor: `rgba(40, 110, 220, ${(0.08 + share * 0.85).toFixed(3)})` }}
                    title={`${(share * 100).toFixed(1)}% of actual ${classes[i]}`}
                  >
                    {count}
                  </td>
                );
              })}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
