// @ts-check
// A trainee's person category (人员类别) for the bureau's roster: a form of its own on the
// profile page, saved through PUT /api/v1/me/person-category.
import * as api from './api.js';
import { busy, h } from './dom.js';
import { showDone, showErrors } from './errors.js';
import { field, form, read } from './forms.js';
import { t } from './i18n.js';

const CATEGORIES = ['employed', 'unemployed', 'migrant_worker', 'poverty_alleviated', 'graduate', 'other'];

/**
 * Return the form, filled with the trainee's category.
 * @param {AbortSignal} signal
 */
export async function personCategoryForm(signal) {
  /** @type {{person_category: string | null}} */
  const mine = await api.get('/api/v1/me/person-category', { signal });
  const sheet = form({ id: 'person-category-form' },
    field({ name: 'person_category', label: t('profile.person_category'), type: 'select',
      value: mine.person_category || '', hint: t('profile.person_category_hint'),
      options: [['', t('profile.person_category_none')], ...CATEGORIES.map((c) => [c, t(`person_category.${c}`)])] }),
    h('button', { type: 'submit', class: 'secondary' }, t('profile.save_person_category')));
  sheet.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = read(sheet).person_category || null;
    busy(sheet.querySelector('button[type=submit]'), async () => {
      try {
        await api.put('/api/v1/me/person-category', { person_category: value });
        showDone(sheet, t('profile.saved'));
      } catch (error) {
        showErrors(sheet, error);
      }
    });
  });
  return sheet;
}
