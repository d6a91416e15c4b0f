/** Caption fonts through fontconfig: installed families, aliases, the contract defaults, and refusals. */
import { describe, expect, it } from 'vitest';
import { defaultFontFamily, installedFontFamilies, resolveFont } from '../../media/fonts';
import { expectFailure } from './measure';

describe('resolveFont', () => {
  it('finds installed families whatever the case', async () => {
    const families = await installedFontFamilies();
    expect(families).toContain('DejaVu Sans');
    expect(await resolveFont('dejavu sans', 'style.fonte')).toBe('DejaVu Sans');
  });

  it('accepts the contract defaults, rendered with an installed font', async () => {
    const families = await installedFontFamilies();
    for (const name of ['Arial', 'Arial Black']) expect(families).toContain(await resolveFont(name, 'style.font.name'));
    expect(families).toContain(await defaultFontFamily());
  });

  it('refuses an unknown font with a 400-class error naming the field and listing what is installed', async () => {
    const message = await expectFailure(resolveFont('Definitely Not Installed Sans', 'style.fonte'), 'BadInput', 'style.fonte', /Available fonts: .*DejaVu Sans/);
    expect(message).toContain('"Definitely Not Installed Sans" is not installed');
  });
});
