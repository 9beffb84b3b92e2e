/* CKAN's JavaScript translations for locales with a script subtag.
 *
 * <html lang> carries the BCP 47 tag ("zh-Hans-CN"), and CKAN 2.11's client turns
 * only its first hyphen back into an underscore before asking /api/i18n/ for the
 * translations. The platform's zh_Hans_CN thus asks for "zh_Hans-CN", gets a 400,
 * and ckan.initialize() never starts any JavaScript module (slug preview, select2,
 * upload fields, confirmations ...); see ckan/ckan#9473. Ask for the locale as
 * CKAN configures it: every hyphen an underscore.
 */
(function (ckan) {
  var getLocaleData = ckan.Client.prototype.getLocaleData;
  ckan.Client.prototype.getLocaleData = function (locale, success, error) {
    return getLocaleData.call(this, (locale || '').replace(/-/g, '_'), success, error);
  };
})(this.ckan);
