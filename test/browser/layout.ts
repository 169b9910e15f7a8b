import type { Locator } from 'playwright-core';

/**
 * The pairs of texts of a chart (legend items, axis names, axis labels) whose boxes
 * intersect, by their content: a readable chart has none. Charts draw as SVG, so each
 * text is an element with a box.
 */
export async function overlappingTexts(chart: Locator): Promise<string[]> {
  return chart.evaluate((root) => {
    const boxes = [...root.querySelectorAll('text')]
      .map((el) => ({ text: el.textContent ?? '', box: el.getBoundingClientRect() }))
      .filter((b) => b.text.trim() && b.box.width > 0 && b.box.height > 0);
    const out: string[] = [];
    type Box = { left: number; right: number; top: number; bottom: number };
    const meet = (a: Box, b: Box) =>
      a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    boxes.forEach((a, i) => {
      for (const b of boxes.slice(i + 1)) if (meet(a.box, b.box)) out.push(`${a.text} × ${b.text}`);
    });
    return out;
  });
}
