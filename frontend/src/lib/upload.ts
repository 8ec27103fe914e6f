// Resumable file upload into the tus upload the server created with the video.
import { Upload, type DetailedError } from 'tus-js-client';
import { ApiError, ECLIENT_NETWORK, parseApiError, type Video } from './api';

export interface UploadHandle {
  /** Resolves when every byte is stored; rejects with an ApiError. */
  done: Promise<void>;
  /** Stops the upload. The promise then rejects with code "aborted". */
  abort(): void;
}

export const EUPLOAD_ABORTED = 'aborted';

const CHUNK_SIZE = 8 * 1024 * 1024;

/**
 * uploadFile sends a file to video.uploadUrl. The server creates that upload
 * with a deferred length (the recorder streams into the same kind of upload),
 * so the client never POSTs to create one: it resumes the URL (HEAD for the
 * offset, then PATCH chunks) and the last PATCH declares Upload-Length.
 * tus-js-client needs uploadLengthDeferred for that: with it off, it rejects
 * a HEAD answer that has no Upload-Length.
 */
export function uploadFile(
  video: Video,
  file: File,
  onProgress: (sent: number, total: number) => void,
): UploadHandle {
  let upload: Upload | null = null;
  let aborted = false;
  let rejectDone: (err: ApiError) => void = () => {};

  const done = new Promise<void>((resolve, reject) => {
    rejectDone = reject;
    if (!video.uploadUrl) {
      reject(new ApiError(0, 'no_upload_url', "This video can’t take an upload any more."));
      return;
    }
    upload = new Upload(file, {
      uploadUrl: video.uploadUrl,
      // No endpoint on purpose: if the upload is gone, tus-js-client would
      // otherwise POST a brand-new upload there. Let the error surface.
      endpoint: null,
      uploadLengthDeferred: true,
      chunkSize: CHUNK_SIZE,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      // The video row already remembers the URL; nothing to keep in localStorage.
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: true,
      onProgress: (sent) => onProgress(Math.min(sent, file.size), file.size),
      onSuccess: () => resolve(),
      onError: (err) => {
        if (aborted) return;
        reject(tusError(err));
      },
    });
    upload.start();
  });

  return {
    done,
    abort() {
      if (aborted) return;
      aborted = true;
      void (upload as Upload | null)?.abort(false);
      rejectDone(new ApiError(0, EUPLOAD_ABORTED, 'Upload cancelled.'));
    },
  };
}

/** tusError maps a tus-js-client failure to an ApiError with a readable message. */
export function tusError(err: Error | DetailedError): ApiError {
  const res = 'originalResponse' in err ? err.originalResponse : null;
  if (res) {
    const status = res.getStatus();
    if (status > 0) return parseApiError(status, res.getBody() ?? '');
  }
  return new ApiError(0, ECLIENT_NETWORK, 'The upload was interrupted. Check your connection and try again.');
}
